fn main() {
    std::process::exit(mmstatus::cli::main());
}
