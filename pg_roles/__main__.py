"""`make pg-roles`: PG_ADMIN_URL=... ANALYTICS_PG_URL=... ML_PG_URL=... python -m pg_roles"""

import os
import sys

from pg_roles import ADMIN_URL_ENV, RolesError, apply
from warehouse_paths import ANALYTICS_PG_URL_ENV, ML_PG_URL_ENV


def main() -> int:
    try:
        lines = apply(*(os.environ.get(name) for name in (ADMIN_URL_ENV, ANALYTICS_PG_URL_ENV, ML_PG_URL_ENV)))
    except RolesError as error:
        print(f"make pg-roles: {error}", file=sys.stderr)
        return 1
    print("PostgreSQL roles are set up:")
    for line in lines:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
