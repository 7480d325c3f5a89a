"""Records cross process boundaries by pickle: every field must survive the trip, in order."""

from __future__ import annotations

import dataclasses
import pickle

from triage import records


def test_every_record_round_trips_field_by_field() -> None:
    classes = [c for c in vars(records).values()
               if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == records.__name__]
    assert len(classes) >= 10
    for cls in classes:
        # distinct values per field, so a swapped order could not pass
        values = {f.name: f"{cls.__name__}.{f.name}" for f in dataclasses.fields(cls)}
        obj = cls(**values)
        back = pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(back) is cls
        assert {n: getattr(back, n) for n in values} == values, cls.__name__
