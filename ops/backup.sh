#!/usr/bin/env bash
# Back up CTG: the PostgreSQL database (pg_dump, custom format) and the media folder.
#
#   DATABASE_URL=postgres://user@host:5432/ctg ops/backup.sh [DESTINATION_DIR]
#
# Writes DESTINATION_DIR/ctg-<database>-<UTC timestamp>.dump and, when MEDIA_ROOT (default:
# ./media) exists, ctg-<database>-<timestamp>-media.tar.gz next to it; prints both paths.
# The dump is checked readable (pg_restore --list) before the script succeeds.
# pg_dump must be of the server's major version or newer: set PG_DUMP to choose the binary.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must point to the PostgreSQL database to back up}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL is not a PostgreSQL URL (SQLite: copy db.sqlite3)" >&2; exit 2 ;;
esac

PG_DUMP="${PG_DUMP:-pg_dump}"
PG_RESTORE="${PG_RESTORE:-pg_restore}"
DEST="${1:-backups}"
MEDIA_ROOT="${MEDIA_ROOT:-media}"
mkdir -p "$DEST"

database="${DATABASE_URL##*/}"
database="${database%%\?*}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dump="$DEST/ctg-${database}-${stamp}.dump"

# Custom format: compressed, restorable table by table; owners and grants left out so that
# the dump restores under any role.
"$PG_DUMP" --format=custom --no-owner --no-privileges --file="$dump.partial" "$DATABASE_URL"
"$PG_RESTORE" --list "$dump.partial" >/dev/null
mv "$dump.partial" "$dump"
echo "$dump"

if [ -d "$MEDIA_ROOT" ]; then
  media="$DEST/ctg-${database}-${stamp}-media.tar.gz"
  tar -czf "$media.partial" -C "$MEDIA_ROOT" .
  mv "$media.partial" "$media"
  echo "$media"
fi
