"""The public read API, ``/api/v1/`` (Django REST framework, drf-spectacular): the public record as JSON.

Read-only and anonymous. Every read starts from the public selectors (``Commitment.objects.public()``,
``StatusUpdate.objects.public_record()``, the catalogue of public entries, published reports), and the
commitment list's filters are ``CommitmentFilterSet``'s, so the API and the pages agree row for row.
"""
