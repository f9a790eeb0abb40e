"""One exception hierarchy. Each message is written for a comms person: what is wrong, where,
and how to fix it. The command line turns any ``CampaignError`` into one line and exit code 2."""

from __future__ import annotations


class CampaignError(Exception):
    "Something the person running the tool can fix"


class ConfigError(CampaignError):
    "The campaign metadata is not valid"


class NoDatabaseError(CampaignError):
    "There is no campaign database at the path given (only `campaign init` creates one)"


class NotFoundError(CampaignError):
    "No such record"


class TransitionError(CampaignError):
    "A post cannot move from its current status to the one asked for"


class RuleError(CampaignError):
    "A post breaks one of X's rules or the campaign's"


class TemplateError(CampaignError):
    "A post template could not be rendered"


class CredentialsError(CampaignError):
    "Credentials for X are missing or refused"


class SearchError(CampaignError):
    "A search could not be run"


class LeaseHeldError(CampaignError):
    "Another process holds the publishing lease"
