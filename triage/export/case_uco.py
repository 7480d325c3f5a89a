"""``triage export --format case``: the case as CASE 1.5.0 / UCO JSON-LD.

CASE (Cyber-investigation Analysis Standard Expression) is what CASE-aware
platforms exchange. The graph written to ``case.jsonld`` passes
``case_validate`` (case-utils, CASE 1.5.0, offline) with no ``--allow-warnings``
and no ``--allow-infos``; the tests run it. It holds:

- per run of the case an ``investigation:InvestigativeAction``: the command
  as description, ``action:startTime``/``endTime``,
  ``action:actionStatus`` (ok: Success, partial: Complete/Finish, failed:
  Fail, still running or killed: Unknown), ``action:instrument`` a ``tool:Tool`` (triage and the run's version),
  ``action:performer`` an ``identity:Identity`` named by the examiner (when
  the run or the exhibit names one), ``action:object`` the exhibits' images,
  ``action:result`` their provenance records;
- per exhibit an ``observable:Image`` with a ``FileFacet`` (the first
  segment's name and path), an ``ImageFacet`` (the container format) and a
  ``ContentDataFacet`` (media size and the acquisition MD5/SHA-1 stored in
  the container, else the hashes ``triage verify`` computed), and an
  ``investigation:ProvenanceRecord`` whose ``exhibitNumber`` is the E01's
  evidence number (else the evidence id), ``rootExhibitNumber`` the evidence
  id, ``core:object`` the image;
- per volume an ``observable:DiskPartition`` (``DiskPartitionFacet``: offset,
  length, the volume system's description, the slot as ``partitionID``)
  ``Contained_Within`` the image;
- per file an ``observable:File`` with a ``FileFacet`` (name, path from the
  volume root, extension, size, directory or not, allocation status, MACB
  times) and, when its bytes were hashed, a ``ContentDataFacet`` (size, MIME
  type, MD5/SHA-1/SHA-256), ``Contained_Within`` its partition, or its
  container file for an archive member;
- per artefact an observable: ``EmailAddress``, ``URL``, ``DomainName``,
  ``IPv4Address``/``IPv6Address``, ``PhoneAccount``, a ``PaymentCard`` with an
  ``AccountFacet`` (the card number masked, first six and last four, unless
  ``--unmasked``), an ``Account`` with an ``AccountFacet`` for an IBAN or a UK
  bank account (CASE 1.5.0 has no ``FinancialAccountFacet``, and its
  ``accountType`` vocabulary names login systems (ldap, unix ...): the kind,
  payment card or bank account, is in the description), a ``DigitalAddress`` for a cryptocurrency
  address, a plain ``ObservableObject`` (name = the type, description = the
  value) for the rest; each ``Contained_Within`` its file (or, found in
  unallocated space, its partition) through a relationship whose
  ``DataRangeFacet`` holds the byte offset.

Every ``@id`` is ``urn:uuid:`` + a UUID 5 of the case's natural keys (an
exhibit's id, a file's ``entry_key``, an artefact's ``artefact_key``, a run's
id and start), so two exports of the same case are identical and a rescan
keeps the identifiers. The graph is written one node at a time into the
``@graph`` array: memory does not grow with the case.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.export import ExportOptions
from triage.export.safe import mask_card_numbers, mask_card_value

if TYPE_CHECKING:
    from triage.case.reader import ArtefactRow, CaseReader, EvidenceRow, FileRow, RunRow, VolumeRow

__all__ = ["CASE_VERSION", "CONTEXT", "OUTPUT_NAME", "export", "node_id"]

CASE_VERSION = "1.5.0"
OUTPUT_NAME = "case.jsonld"
#: the namespace of every identifier this exporter makes (UUID 5)
_NS = uuid.UUID("6f1d3c1e-6a55-5a0b-9d1e-2b7f4c8e9a10")

CONTEXT = {
    "kb": "urn:uuid:",
    "action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "investigation": "https://ontology.caseontology.org/case/investigation/",
    "observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_HASH_NAMES = (("md5", "MD5"), ("sha1", "SHA1"), ("sha256", "SHA256"))


def node_id(*key: object) -> str:
    """A deterministic identifier: ``kb:`` + UUID 5 of the natural key's parts."""
    return "kb:" + str(uuid.uuid5(_NS, "\x1f".join(str(k) for k in key)))


def _ref(ident: str) -> dict[str, str]:
    return {"@id": ident}


def _int(n: int) -> dict[str, Any]:
    return {"@type": "xsd:integer", "@value": int(n)}


def _time(value: str | None) -> dict[str, str] | None:
    return {"@type": "xsd:dateTime", "@value": value} if value and _DATETIME.match(value) else None


def _put(node: dict[str, Any], key: str, value: Any) -> None:
    """Set only what is known: a case column that is NULL says nothing."""
    if value is not None and value != "" and value != []:
        node[key] = value


def _hashes(owner: str, digests: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    out = []
    for method, value in digests:
        if value and _HEX.match(value):
            out.append({"@id": node_id(owner, "hash", method), "@type": "types:Hash",
                        "types:hashMethod": method,
                        "types:hashValue": {"@type": "xsd:hexBinary", "@value": value.upper()}})
    return out


def _relationship(source: str, target: str, kind: str = "Contained_Within",
                  offset: int | None = None, size: int | None = None) -> dict[str, Any]:
    rid = node_id("relationship", kind, source, target, offset)
    node: dict[str, Any] = {"@id": rid, "@type": "observable:ObservableRelationship",
                            "core:source": _ref(source), "core:target": _ref(target),
                            "core:kindOfRelationship": kind, "core:isDirectional": True}
    if offset is not None and offset >= 0:
        facet: dict[str, Any] = {"@id": node_id(rid, "DataRangeFacet"), "@type": "observable:DataRangeFacet",
                                 "observable:rangeOffset": _int(offset)}
        if size:
            facet["observable:rangeSize"] = _int(size)
        node["core:hasFacet"] = [facet]
    return node


# -- the exhibits -------------------------------------------------------------

def _image_id(ev: EvidenceRow) -> str:
    return node_id("evidence", ev.id)


def _image(ev: EvidenceRow) -> dict[str, Any]:
    iid = _image_id(ev)
    first = Path(ev.path)
    file_facet: dict[str, Any] = {"@id": node_id(iid, "FileFacet"), "@type": "observable:FileFacet",
                                  "observable:fileName": first.name, "observable:filePath": ev.path}
    _put(file_facet, "observable:extension", first.suffix.lstrip(".") or None)
    stored = [("MD5", ev.stored_md5), ("SHA1", ev.stored_sha1)]
    computed = [("MD5", ev.computed_md5), ("SHA1", ev.computed_sha1)]
    content: dict[str, Any] = {"@id": node_id(iid, "ContentDataFacet"), "@type": "observable:ContentDataFacet",
                               "observable:sizeInBytes": _int(ev.size)}
    _put(content, "observable:hash", _hashes(iid, stored if any(v for _, v in stored) else computed))
    description = [f"exhibit {ev.id}: {ev.format} image, media {ev.size} bytes"]
    if ev.segments and len(ev.segments) > 1:
        description.append(f"{len(ev.segments)} segments: " + ", ".join(ev.segments))
    if ev.case_number or ev.evidence_number:
        description.append(f"case number {ev.case_number or '-'}, evidence number {ev.evidence_number or '-'}")
    if any(v for _, v in stored):
        description.append("hashes: the acquisition hashes stored in the container")
    description.append(f"verification: {ev.verified or 'never verified'}"
                       + (f" ({ev.verified_at})" if ev.verified_at else ""))
    return {"@id": iid, "@type": "observable:Image", "core:name": ev.id, "core:description": "; ".join(description),
            "core:hasFacet": [file_facet,
                              {"@id": node_id(iid, "ImageFacet"), "@type": "observable:ImageFacet",
                               "observable:imageType": ev.format},
                              content]}


def _provenance(ev: EvidenceRow) -> dict[str, Any]:
    node: dict[str, Any] = {"@id": node_id("provenance", ev.id), "@type": "investigation:ProvenanceRecord",
                            "investigation:exhibitNumber": ev.evidence_number or ev.id,
                            "investigation:rootExhibitNumber": ev.id,
                            "core:object": [_ref(_image_id(ev))]}
    _put(node, "core:description", "; ".join(
        p for p in (f"exhibit {ev.id}", f"case number {ev.case_number}" if ev.case_number else "",
                    f"examiner {ev.examiner}" if ev.examiner else "",
                    f"acquired {ev.acquired}" if ev.acquired else "",
                    f"acquired with {ev.acquiry_software}" if ev.acquiry_software else "",
                    ev.description or "") if p))
    return node


def _volume_id(vol: VolumeRow) -> str:
    return node_id("volume", vol.evidence_id, vol.addr, vol.offset)


def _partition(vol: VolumeRow) -> dict[str, Any]:
    vid = _volume_id(vol)
    facet: dict[str, Any] = {"@id": node_id(vid, "DiskPartitionFacet"), "@type": "observable:DiskPartitionFacet",
                             "observable:partitionOffset": _int(vol.offset),
                             "observable:partitionLength": _int(vol.length),
                             "observable:partitionID": str(vol.addr)}
    _put(facet, "observable:diskPartitionType", vol.description)
    node = {"@id": vid, "@type": "observable:DiskPartition", "core:name": f"{vol.evidence_id} volume {vol.addr}",
            "core:description": f"{vol.kind}; file system {vol.fs_type or 'none found'}"
                                + (f"; block size {vol.block_size}" if vol.block_size else ""),
            "core:hasFacet": [facet]}
    return node


# -- files ----------------------------------------------------------------------

def _file_id(evidence_id: str, entry_key: str) -> str:
    return node_id("file", evidence_id, entry_key)


def _file(f: FileRow) -> dict[str, Any]:
    fid = _file_id(f.evidence_id, f.entry_key)
    facet: dict[str, Any] = {"@id": node_id(fid, "FileFacet"), "@type": "observable:FileFacet",
                             "observable:fileName": f.name, "observable:filePath": f.path,
                             "observable:sizeInBytes": _int(max(f.size, 0)),
                             "observable:isDirectory": f.type in ("dir", "virtual_dir"),
                             "observable:allocationStatus": "unallocated" if f.deleted else "allocated"}
    _put(facet, "observable:extension", (f.extension or "").lstrip(".") or None)
    _put(facet, "observable:modifiedTime", _time(f.mtime))
    _put(facet, "observable:accessedTime", _time(f.atime))
    _put(facet, "observable:metadataChangeTime", _time(f.ctime))
    _put(facet, "observable:observableCreatedTime", _time(f.crtime))
    facets = [facet]
    if f.sha256:
        content: dict[str, Any] = {"@id": node_id(fid, "ContentDataFacet"), "@type": "observable:ContentDataFacet",
                                   "observable:sizeInBytes": _int(max(f.size, 0))}
        _put(content, "observable:mimeType", f.mime)
        _put(content, "observable:hash", _hashes(fid, [(n, getattr(f, a)) for a, n in _HASH_NAMES]))
        facets.append(content)
    node: dict[str, Any] = {"@id": fid, "@type": "observable:File", "core:hasFacet": facets}
    notes = [f"files.id {f.id}", f"type {f.type}"]
    if f.inode is not None:
        notes.append(f"inode {f.inode}")
    if f.orphan:
        notes.append("orphan")
    if f.parent_id is not None:
        notes.append("archive member: its bytes exist only inside its container")
    if f.status != "done":
        notes.append(f"status {f.status}: not read in full, no hashes")
    node["core:description"] = "; ".join(notes)
    return node


# -- artefacts ------------------------------------------------------------------

_ADDRESS_TYPES = {"btc_address", "eth_address", "ltc_address", "trx_address", "xmr_address"}
_BANK_TYPES = {"iban": "bank account (IBAN)", "uk_bank_account": "UK bank account (sort code-account number)"}
_CARD_TYPES = {"payment_card": "payment card", "card_track": "payment card (magnetic-stripe track data)",
               "saved_card": "payment card (saved in a browser)"}


def _artefact(a: ArtefactRow, unmasked: bool) -> dict[str, Any]:
    aid = node_id("artefact", a.evidence_id, a.artefact_key or a.id)
    value = a.value if unmasked else mask_card_value(a.type, a.value)
    value = value if unmasked else mask_card_numbers(value)
    facets: list[dict[str, Any]] = []
    cls = "observable:ObservableObject"

    def facet(kind: str, **props: Any) -> None:
        node = {"@id": node_id(aid, kind), "@type": f"observable:{kind}"}
        node.update({f"observable:{k}": v for k, v in props.items()})
        facets.append(node)

    t = a.type
    if t == "email":
        cls = "observable:EmailAddress"
        facet("EmailAddressFacet", addressValue=value)
    elif t in ("url", "download"):
        cls = "observable:URL"
        facet("URLFacet", fullValue=value)
    elif t == "domain":
        cls = "observable:DomainName"
        facet("DomainNameFacet", value=value)
    elif t == "ip_address":
        v6 = ":" in value
        cls = "observable:IPv6Address" if v6 else "observable:IPv4Address"
        facet("IPv6AddressFacet" if v6 else "IPv4AddressFacet", addressValue=value)
    elif t == "phone":
        cls = "observable:PhoneAccount"
        facet("PhoneAccountFacet", phoneNumber=value)
    elif t in _CARD_TYPES:
        cls = "observable:PaymentCard"
        facet("AccountFacet", accountIdentifier=value)
    elif t in _BANK_TYPES:
        cls = "observable:Account"
        facet("AccountFacet", accountIdentifier=value)
    elif t in _ADDRESS_TYPES:
        cls = "observable:DigitalAddress"
        facet("DigitalAddressFacet", addressValue=value)
    node: dict[str, Any] = {"@id": aid, "@type": cls, "core:name": t}
    details = [] if facets else [f"value: {value}"]
    kind = _CARD_TYPES.get(t) or _BANK_TYPES.get(t)
    if kind:
        details.append(kind)
    details.append(f"found by {a.plugin} {a.plugin_version or ''}".rstrip())
    if a.count and a.count > 1:
        details.append(f"{a.count} identical hits in the file")
    if a.confidence is not None:
        details.append(f"confidence {a.confidence}")
    if a.timestamp:
        details.append(f"time {a.timestamp}")
    if a.context:
        context = a.context if unmasked else mask_card_numbers(a.context)
        details.append(f"context: {context}")
    node["core:description"] = "; ".join(details)
    if facets:
        node["core:hasFacet"] = facets
    return node


# -- runs -----------------------------------------------------------------------

def _tool_id(version: str) -> str:
    return node_id("tool", "triage", version)


def _tool(version: str) -> dict[str, Any]:
    return {"@id": _tool_id(version), "@type": "tool:Tool", "core:name": "triage", "tool:version": version,
            "tool:toolType": "digital forensics triage"}


def _identity(name: str) -> dict[str, Any]:
    return {"@id": node_id("examiner", name), "@type": "identity:Identity", "core:name": name}


#: runs.status -> ActionStatusTypeVocab (a run still marked running was killed or is running: unknown)
_STATUS = {"ok": "Success", "partial": "Complete/Finish", "failed": "Fail", "running": "Unknown"}


def _action(run: RunRow, evidence: dict[str, EvidenceRow]) -> dict[str, Any] | None:
    touched = [evidence[e] for e in (run.evidence_ids or []) if e in evidence]
    if run.evidence_ids and not touched:
        return None  # a run on exhibits left out of this export
    words = run.command.split()
    node: dict[str, Any] = {"@id": node_id("run", run.id, run.started), "@type": "investigation:InvestigativeAction",
                            "core:name": f"triage {words[1]}" if len(words) > 1 else "triage",
                            "core:description": f"run {run.id}: {run.command} (status {run.status})",
                            "action:instrument": _ref(_tool_id(run.tool_version)),
                            "action:actionStatus": _STATUS.get(run.status, "Unknown")}
    _put(node, "action:startTime", _time(run.started))
    _put(node, "action:endTime", _time(run.finished))
    examiner = run.examiner or next((e.examiner for e in touched if e.examiner), None)
    if examiner:
        node["action:performer"] = _ref(node_id("examiner", examiner))
    _put(node, "action:object", [_ref(_image_id(e)) for e in touched])
    _put(node, "action:result", [_ref(node_id("provenance", e.id)) for e in touched])
    return node


# -- the graph --------------------------------------------------------------------

def _nodes(reader: CaseReader, options: ExportOptions) -> Iterator[dict[str, Any]]:
    evidence = {e.id: e for e in reader.evidence(options.evidence_ids)}
    runs = reader.runs()
    for version in sorted({r.tool_version for r in runs}):
        yield _tool(version)
    examiners = {r.examiner for r in runs if r.examiner} | {e.examiner for e in evidence.values() if e.examiner}
    for name in sorted(examiners):
        yield _identity(name)
    for ev in evidence.values():
        yield _image(ev)
        yield _provenance(ev)
    for run in runs:
        action = _action(run, evidence)
        if action is not None:
            yield action
    volumes: dict[int, VolumeRow] = {}
    for ev in evidence.values():
        for vol in reader.volumes(ev.id):
            volumes[vol.id] = vol
            yield _partition(vol)
            yield _relationship(_volume_id(vol), _image_id(ev))
    ev_ids = list(evidence)
    file_ids = sorted(reader.tagged_file_ids(ev_ids)) if options.tagged_only else None
    parents: dict[int, str | None] = {}
    exported = set(file_ids) if file_ids is not None else None  # a relationship never points outside the graph
    for f in reader.iter_files(ev_ids, file_ids=file_ids):
        node = _file(f)
        yield node
        if f.parent_id is not None and (exported is None or f.parent_id in exported):
            if f.parent_id not in parents:
                if len(parents) > 10000:
                    parents.clear()
                parent = reader.file(f.parent_id)
                parents[f.parent_id] = _file_id(parent.evidence_id, parent.entry_key) if parent else None
            target = parents[f.parent_id]
        else:
            part = volumes.get(f.volume_id) if f.volume_id is not None else None
            target = _volume_id(part) if part is not None else _image_id(evidence[f.evidence_id])
        if target is not None:
            yield _relationship(node["@id"], target)
    artefact_ids = sorted(reader.tagged_artefact_ids(ev_ids)) if options.tagged_only else None
    file_key: dict[int, str] = {}
    for a in reader.iter_artefacts(ev_ids, ids=artefact_ids):
        node = _artefact(a, options.unmasked)
        yield node
        size = len(a.raw.encode("utf-8")) if a.raw and a.encoding == "ascii" else None
        if a.file_id is not None:
            if a.file_id not in file_key:
                if len(file_key) > 10000:
                    file_key.clear()
                holder = reader.file(a.file_id)
                file_key[a.file_id] = _file_id(holder.evidence_id, holder.entry_key) if holder else ""
            if file_key[a.file_id] and (exported is None or a.file_id in exported):
                yield _relationship(node["@id"], file_key[a.file_id], offset=a.offset, size=size)
        elif a.volume_id is not None and a.volume_id in volumes:
            yield _relationship(node["@id"], _volume_id(volumes[a.volume_id]), offset=a.offset, size=size)


def export(reader: CaseReader, out_dir: Path, options: ExportOptions,
           counts: dict[str, int | None] | None = None) -> list[Path]:
    """Write ``out_dir/case.jsonld`` node by node; ``counts`` gets the number of graph nodes."""
    out = Path(out_dir) / OUTPUT_NAME
    n = 0
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write('{\n"@context": ' + json.dumps(CONTEXT, indent=1) + ',\n"@graph": [\n')
        for node in _nodes(reader, options):
            if n:
                fh.write(",\n")
            fh.write(json.dumps(node, ensure_ascii=False, separators=(",", ":")))
            n += 1
        fh.write("\n]\n}\n")
    if counts is not None:
        counts[OUTPUT_NAME] = n
    return [out]
