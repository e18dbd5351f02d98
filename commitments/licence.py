"""The data's licence: one statement for the dump, the exports' ``meta`` and /about/ (a leaf module, so
the exports and the dump can both read it without importing each other)."""

LICENSE = {
    "name": "ODC-BY-1.0",
    "path": "https://opendatacommons.org/licenses/by/1-0/",
    "title": "Open Data Commons Attribution License v1.0",
}
