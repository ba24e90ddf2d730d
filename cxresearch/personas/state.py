"""What a later run needs of fitted personas to keep their ids and names: JSON and Parquet, never a pickle."""
from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..errors import CXResearchWarning


class PersonaStateWarning(CXResearchWarning):
    """The previous run's personas could not be read: this run's personas are not aligned to them."""


@dataclass(frozen=True)
class PersonaState:
    """What a later run needs of fitted personas to keep their ids and names, in plain files.

    Written by :meth:`files` as ``persona_model.json`` (format version, ids,
    names, sizes, each feature's mean and SD over all customers) and two
    Parquet tables (``persona_profiles.parquet``: mean of every feature per
    persona; ``persona_centroids.parquet``: persona centres in the model's
    space); read back by :meth:`read`. Nothing in them runs code when read,
    and they outlive library upgrades. :meth:`PersonaModel.align_to` takes a
    state as well as a model.

    Attributes
    ----------
    personas : pandas.DataFrame
        name, size, share per persona id.
    profiles, centroids : pandas.DataFrame
        Per persona id, as :attr:`PersonaModel.profiles_` and :attr:`PersonaModel.centroids_`.
    overall, scale : pandas.Series
        Mean and standard deviation of every feature over all customers.
    """

    personas: pd.DataFrame
    profiles: pd.DataFrame
    centroids: pd.DataFrame
    overall: pd.Series
    scale: pd.Series

    FORMAT = "cxresearch persona state"
    VERSION = 1
    FILES = ("persona_model.json", "persona_profiles.parquet", "persona_centroids.parquet")

    @classmethod
    def of(cls, model) -> "PersonaState":
        """The state of a fitted *model*."""
        check_is_fitted(model, "personas_")
        return cls(personas=model.personas_[["name", "size", "share"]], profiles=model.profiles_,
                   centroids=model.centroids_, overall=model.overall_, scale=model.scale_)

    def files(self) -> dict[str, bytes]:
        """File name -> content of the three files of the state."""
        features = list(self.profiles.columns)
        meta = {"format": self.FORMAT, "version": self.VERSION,
                "personas": {"id": [int(i) for i in self.personas.index], "name": self.personas["name"].tolist(),
                             "size": [int(v) for v in self.personas["size"]],
                             "share": [float(v) for v in self.personas["share"]]},
                "features": features,
                "overall": _plain(self.overall.reindex(features)), "scale": _plain(self.scale.reindex(features))}
        json_name, profiles_name, centroids_name = self.FILES
        return {json_name: (json.dumps(meta, indent=1) + "\n").encode(),
                profiles_name: _parquet(self.profiles), centroids_name: _parquet(self.centroids)}

    @classmethod
    def read(cls, folder) -> "PersonaState | None":
        """The state saved in *folder*, or None when there is none or it cannot be read.

        An unreadable state (damaged, truncated, another format) gives a
        :class:`PersonaStateWarning` naming the file and the reason; so does a
        state saved only as the pickle of older versions, which is never loaded.
        """
        folder = Path(folder)
        json_name, profiles_name, centroids_name = cls.FILES
        if not (folder / json_name).is_file():
            if (folder / "persona_model.pkl").is_file():
                warnings.warn(f"the previous run ({folder.name}) saved its personas as a pickle, which is not "
                              "read (it could run code); this run's personas are not aligned to it.",
                              PersonaStateWarning, stacklevel=2)
            return None
        try:
            meta = json.loads((folder / json_name).read_text(encoding="utf-8"))
            if meta.get("format") != cls.FORMAT or meta.get("version") != cls.VERSION:
                raise ValueError(f"format {meta.get('format')!r} version {meta.get('version')!r}, "
                                 f"expected {cls.FORMAT!r} version {cls.VERSION}")
            ids = pd.Index(meta["personas"]["id"], name="persona", dtype="int64")
            personas = pd.DataFrame({key: meta["personas"][key] for key in ("name", "size", "share")}, index=ids)
            features = pd.Index(meta["features"], dtype="str")
            profiles = pd.read_parquet(folder / profiles_name)
            centroids = pd.read_parquet(folder / centroids_name)
            for name, table in ((profiles_name, profiles), (centroids_name, centroids)):
                if not table.index.equals(ids):
                    raise ValueError(f"{name} lists personas {table.index.tolist()}, expected {ids.tolist()}")
            if not profiles.columns.equals(features):
                raise ValueError(f"{profiles_name} has other features than {json_name}")
            state = cls(personas=personas, profiles=profiles.astype(float), centroids=centroids.astype(float),
                        overall=pd.Series(meta["overall"], index=features, dtype=float),
                        scale=pd.Series(meta["scale"], index=features, dtype=float))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            warnings.warn(f"the previous run's personas in {folder.name} could not be read ({error}); this run's "
                          "personas are not aligned to them: ids and names start afresh.",
                          PersonaStateWarning, stacklevel=2)
            return None
        return state


def _plain(values: pd.Series) -> list:
    """Floats for JSON, None for missing values."""
    return [None if pd.isna(v) else float(v) for v in values]


def _parquet(table: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table.rename(columns=str).to_parquet(buffer)
    return buffer.getvalue()

