"""The store's contract for damaged data, run on every dialect beside :class:`StoreContract`::

    class TestSQLiteStore(StoreContract, StoreDamageContract):
        def make_store(self, tmp_path):
            return Store(f"sqlite:///{tmp_path / 'store.db'}")

Each test damages the store's tables through a connection of its own, as a stray tool, a bad
restore or a hand edit would, and checks that the store refuses with
:class:`StoreCorruptedError` naming the store, the study and the rows (or tables), and writes
nothing into the damaged study.
"""

from __future__ import annotations

import re

import pytest

from tunesmith.store import Store, StoreCorruptedError
from tunesmith.store.engine import display_url, parse_url
from tunesmith.testing.store_contract import (
    check_consistent,
    new_study,
    separate_transaction,
    trial_events,
)

__all__ = ["StoreDamageContract"]


def _damage(store: Store, *statements: str, **values) -> None:
    """Run ``statements`` (with the parameters ``values``) on the store's database, in one
    transaction of a connection of their own."""
    with separate_transaction(store, write=True) as conn:
        for statement in statements:
            conn.execute(statement, values)


def _where(store: Store) -> str:
    return re.escape(display_url(parse_url(store.url)))


def _set_event(seq: int, column: str, value: str) -> str:
    """An update of the column of the journal row ``seq`` of the study ``:study`` to the
    parameter ``:<value>``."""
    where = f"WHERE study_id = :study AND seq = {seq}"
    return f"UPDATE tunesmith_events SET {column} = :{value} {where}"


def _delete_event(seq: int) -> str:
    return f"DELETE FROM tunesmith_events WHERE study_id = :study AND seq = {seq}"


def _last_seq(store: Store, study) -> int:
    with separate_transaction(store) as conn:
        return conn.scalar(
            "SELECT last_seq FROM tunesmith_studies WHERE id = :study", {"study": study.study_id}
        )


class StoreDamageContract:
    def make_store(self, tmp_path) -> Store:
        """A new store; tests reopen it from its ``url``."""
        raise NotImplementedError

    def _two_studies(self, tmp_path):
        """A store, a study to damage (seq 1-7: created, started, result, decision, result,
        decision, completed) and an intact one."""
        store = self.make_store(tmp_path)
        study, intact = new_study(store), new_study(store)
        store.append(study, trial_events(0, [2.0, 1.0]))
        store.append(intact, trial_events(0, [3.0]))
        return store, study, intact

    def test_unreadable_journal_rows_are_named(self, tmp_path):
        store, study, intact = self._two_studies(tmp_path)
        _damage(
            store,
            _set_event(3, "payload", "cut"),
            _set_event(4, "payload", "array"),
            _set_event(5, "kind", "typo"),
            _set_event(6, "payload", "two"),
            study=study.study_id,
            cut='{"step": 1, "loss": 2.0',
            array="[1, 2]",
            typo="resutl",
            two='{"a": 1},{"b": 2}',
        )
        pattern = (
            rf"the store at {_where(store)} is damaged: the journal of study '{study.name}' has "
            r"4 unreadable row\(s\): seq 3 \('result', trial 0\): its payload is not valid JSON "
            r"\(Expecting ',' delimiter: line 1 column 24 \(char 23\)\): "
            r"'\{\"step\": 1, \"loss\": 2\.0'; seq 4 \('decision', trial 0\): its payload is a "
            r"JSON list, not an object: '\[1, 2\]'; seq 5 \('resutl', trial 0\): unknown kind "
            r"'resutl'; seq 6 \('decision', trial 0\): its payload is not valid JSON \(Extra "
            r"data: line 1 column 9 \(char 8\)\): '\{\"a\": 1\},\{\"b\": 2\}'\. The study can "
            r"not be resumed or appended to as it is; restore the store from a backup"
        )
        with pytest.raises(StoreCorruptedError, match=pattern):
            store.read_events(study)
        with pytest.raises(StoreCorruptedError, match="seq 3 .*; seq 4 "):
            store.read_events(study, 2, limit=2)
        assert [ev.seq for ev in store.read_events(study, 6)] == [7]  # past the damage
        check_consistent(store, intact.name)  # the other study reads as before

    def test_an_event_of_a_trial_without_trial_id_is_named(self, tmp_path):
        store, study, _ = self._two_studies(tmp_path)
        _damage(store, _set_event(2, "trial_id", "none"), study=study.study_id, none=None)
        with pytest.raises(
            StoreCorruptedError, match=r"seq 2 \('trial_started', trial None\): a 'trial_started'"
        ):
            store.read_events(study)

    def test_a_gap_in_the_sequence_numbers_is_named(self, tmp_path):
        store, study, intact = self._two_studies(tmp_path)
        _damage(
            store,
            "DELETE FROM tunesmith_results WHERE study_id = :study AND seq = 3",
            _delete_event(3),
            _delete_event(4),
            _delete_event(6),
            study=study.study_id,
        )
        pattern = (
            rf"the store at {_where(store)} is damaged: the journal of study '{study.name}' is "
            r"missing the events with seq 3-4, 6 \(it should hold seq 1 to 7\)"
        )
        with pytest.raises(StoreCorruptedError, match=pattern):
            store.read_events(study)
        with pytest.raises(StoreCorruptedError, match=r"missing the events with seq 3-4 \("):
            store.read_events(study, limit=3)
        with pytest.raises(StoreCorruptedError, match=r"missing the events with seq 6 \("):
            store.read_events(study, 4)
        assert [ev.seq for ev in store.read_events(study, 6)] == [7]
        check_consistent(store, intact.name)

    def test_a_missing_last_event_is_named_and_not_appended_to(self, tmp_path):
        store, study, intact = self._two_studies(tmp_path)
        _damage(store, _delete_event(7), study=study.study_id)
        with pytest.raises(
            StoreCorruptedError,
            match=rf"study '{study.name}' is missing the events with seq 7 \(it should hold "
            r"seq 1 to 7\)",
        ):
            store.read_events(study)
        with pytest.raises(
            StoreCorruptedError,
            match=rf"the store at {_where(store)} is damaged: the journal of study "
            rf"'{study.name}' is missing its last event \(seq 7, the study's last seq\); "
            "nothing of this batch was written",
        ):
            store.append(study, trial_events(1, [0.5]))
        assert _last_seq(store, study) == 7  # the batch was rolled back
        assert [t["trial_id"] for t in store.trials(study)] == [0]
        assert store.append(intact, trial_events(1, [0.5])) == list(range(6, 11))
        check_consistent(store, intact.name)

    def test_events_beyond_the_last_seq_are_named(self, tmp_path):
        store, study, _ = self._two_studies(tmp_path)
        _damage(store, _set_event(7, "seq", "nine"), study=study.study_id, nine=9)
        with pytest.raises(
            StoreCorruptedError,
            match=r"is missing the events with seq 7 \(it should hold seq 1 to 7\) and holds "
            r"events with seq 9, beyond the study's last seq 7",
        ):
            store.read_events(study)

    @pytest.mark.parametrize(
        "dropped", [["tunesmith_events"], ["tunesmith_results", "tunesmith_trials"]]
    )
    def test_a_dropped_table_is_not_recreated_empty(self, tmp_path, dropped):
        store, study, _ = self._two_studies(tmp_path)
        url = store.url
        store.close()
        _damage(store, *(f"DROP TABLE {name}" for name in dropped))
        pattern = (
            rf"the store at {_where(store)} is damaged: its table\(s\) {', '.join(dropped)} are "
            r"missing, though the store was made before; tunesmith does not re-create them empty"
        )
        with pytest.raises(StoreCorruptedError, match=pattern):
            Store(url)
        with separate_transaction(store) as conn:
            names = {row[0] for row in conn.all(conn.dialect.table_names)}
        assert not set(dropped) & names
