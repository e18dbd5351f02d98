"""Importing commitments from YAML files: check everything, then write it all in one transaction.

What is where (import the module you need; this package re-exports nothing):

- ``yaml_lines``  safe YAML loading that remembers each key's line (and refuses duplicate keys, impossible dates)
- ``records``     the files read into checked records, every problem with its file, line and entry
- ``stored_texts`` the seed and passage texts a commitment was read from, and the one verbatim test (quotes, deadlines)
- ``importer``    ``import_files``: the records validated as model instances, then written (the one entry point)
"""
