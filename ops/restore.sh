#!/usr/bin/env bash
# Restore a CTG backup made by ops/backup.sh into a fresh, empty PostgreSQL database.
#
#   createdb -h HOST -U USER ctg_restored
#   ops/restore.sh BACKUP.dump postgres://user@host:5432/ctg_restored [BACKUP-media.tar.gz]
#
# Refuses a database that already has tables (it never overwrites live data). Restores in one
# transaction: on any error nothing is restored. The media archive, when given, is extracted
# into MEDIA_ROOT (default: ./media), which must be empty or absent.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: ops/restore.sh BACKUP.dump TARGET_DATABASE_URL [MEDIA.tar.gz]" >&2
  exit 2
fi
dump="$1"
target="$2"
media="${3:-}"
PSQL="${PSQL:-psql}"
PG_RESTORE="${PG_RESTORE:-pg_restore}"
MEDIA_ROOT="${MEDIA_ROOT:-media}"

[ -f "$dump" ] || { echo "restore.sh: no such file: $dump" >&2; exit 2; }
tables="$("$PSQL" "$target" -Atqc \
  "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
if [ "$tables" != "0" ]; then
  echo "restore.sh: the target database already has $tables table(s); restore into a new one" >&2
  exit 3
fi

"$PG_RESTORE" --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$target" "$dump"
echo "database restored into ${target##*/}"

if [ -n "$media" ]; then
  mkdir -p "$MEDIA_ROOT"
  if [ -n "$(ls -A "$MEDIA_ROOT")" ]; then
    echo "restore.sh: $MEDIA_ROOT is not empty; media not restored" >&2
    exit 3
  fi
  tar -xzf "$media" -C "$MEDIA_ROOT"
  echo "media restored into $MEDIA_ROOT"
fi
