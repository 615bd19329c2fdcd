"""``tf.contrib.training.HParams``: named hyper-parameters, as nets (NASNet, PNASNet) build them."""

from __future__ import annotations

from typing import Any, Dict

__all__ = ["HParams"]


class HParams:
    """A set of named values: ``HParams(a=1).a``; ``set_hparam``, ``add_hparam``, ``values()``, ``parse``.

    Args:
      hparam_def: not supported (a protocol buffer); must be None.
      model_structure: ignored.
      **kwargs: the hyper-parameters and their values.

    Raises:
      ValueError: ``hparam_def`` is given.
    """

    def __init__(self, hparam_def=None, model_structure=None, **kwargs: Any):
        if hparam_def is not None:
            raise ValueError("HParams(hparam_def=...) is not supported by torchslim.compat; pass keyword values")
        self._types: Dict[str, type] = {}
        for name, value in kwargs.items():
            self.add_hparam(name, value)

    def add_hparam(self, name: str, value: Any) -> None:
        """Adds a new hyper-parameter.

        Raises:
          ValueError: it exists already, or clashes with a method.
        """
        if name in self._types or (hasattr(self, name) and name not in self.__dict__):
            raise ValueError(f"HParams: hyperparameter name {name!r} is already in use")
        self._types[name] = type(value)
        setattr(self, name, value)

    def set_hparam(self, name: str, value: Any) -> None:
        """Sets an existing hyper-parameter.

        Raises:
          KeyError: it does not exist.
        """
        if name not in self._types:
            raise KeyError(f"HParams: unknown hyperparameter {name!r}")
        setattr(self, name, value)

    def del_hparam(self, name: str) -> None:
        """Removes a hyper-parameter (if present)."""
        if name in self._types:
            del self._types[name]
            delattr(self, name)

    def override_from_dict(self, values_dict: Dict[str, Any]) -> "HParams":
        """Sets every ``name: value`` of ``values_dict``; returns self."""
        for name, value in values_dict.items():
            self.set_hparam(name, value)
        return self

    def parse(self, values: str) -> "HParams":
        """Sets values from ``'a=1,b=x'`` (each converted to the hyper-parameter's type); returns self.

        Raises:
          ValueError: a malformed item.
        """
        for item in filter(None, (v.strip() for v in values.split(","))):
            name, sep, text = item.partition("=")
            if not sep or name not in self._types:
                raise ValueError(f"HParams.parse: cannot parse {item!r}")
            kind = self._types[name]
            value = (text.lower() in ("1", "true")) if kind is bool else kind(text)
            self.set_hparam(name, value)
        return self

    def values(self) -> Dict[str, Any]:
        """The hyper-parameters as a dict."""
        return {name: getattr(self, name) for name in self._types}

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default``."""
        return getattr(self, key) if key in self._types else default

    def __contains__(self, key: str) -> bool:
        return key in self._types

    def __repr__(self) -> str:
        return f"HParams({self.values()!r})"
