# Shared by the scripts in this folder (sourced, not run).
#
# Settings come from the real environment first, then from the project's .env
# file (the same file mmstatus reads), then from each script's defaults.

project=${project:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

# The value NAME has in $project/.env (last assignment wins), without
# surrounding quotes or a leading `export`; nothing when it is not there.
dotenv_value() {
  local name=$1 file=$project/.env line value=
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line#"${line%%[![:space:]]*}"}
    line=${line#export }
    case "$line" in
      "$name="*)
        value=${line#"$name="}
        case "$value" in
          \"*\") value=${value#\"}; value=${value%\"} ;;
          \'*\') value=${value#\'}; value=${value%\'} ;;
        esac
        ;;
    esac
  done <"$file"
  printf '%s' "$value"
}

# NAME from the environment when set there (even empty), else from .env.
setting() {
  local name=$1
  if [ -n "${!name+set}" ]; then printf '%s' "${!name}"; else dotenv_value "$name"; fi
}

# Percent-encodes a URL component (user or password).
url_encode() {
  local LC_ALL=C text=$1 out= c i
  for ((i = 0; i < ${#text}; i++)); do
    c=${text:i:1}
    case "$c" in
      [a-zA-Z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

url_decode() {
  local text=${1//+/ }
  printf '%b' "${text//%/\\x}"
}
