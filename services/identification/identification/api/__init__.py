"""HTTP routes of the identification service, one module per resource."""

from fastapi import APIRouter

from identification.api import assessment, cases, policies, public, quotas, reviews, spot_checks, villages

ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router for module in (policies, assessment, quotas, reviews, villages, spot_checks, cases, public)
)
