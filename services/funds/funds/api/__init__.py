"""HTTP routes of the funds service."""

from funds.api import batches, grants, programs

ROUTERS = (programs.router, grants.router, batches.router)
