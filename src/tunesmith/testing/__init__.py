"""Reusable conformance suites (pytest) for searchers, schedulers and backends.

Subclass a contract class in a test module and implement its factory method; every test of the
contract then runs against your implementation. Importing these modules needs pytest.
"""
