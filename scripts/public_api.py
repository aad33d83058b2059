#!/usr/bin/env python3
"""Counts the crate's public items from rustdoc's JSON output.

    cargo +nightly rustdoc -p webhook-receiver --all-features --lib -- \
        -Z unstable-options --output-format json
    python3 scripts/public_api.py target/doc/webhook_receiver.json [--list]

Walks from the crate root through public modules and re-exports (each item once, however many
paths lead to it, and each path once: two paths to one item count as two entries in `paths`),
and counts modules, types (structs, enums, unions, traits, aliases), functions and methods
(inherent and trait methods of local types; not trait impls of foreign traits), constants and
statics, enum variants and public fields.
"""
import json
import sys
from collections import Counter


def main() -> None:
    data = json.load(open(sys.argv[1]))
    index = data["index"]
    root = str(data["root"])
    seen = set()
    paths = Counter()
    kinds = Counter()
    listing = []

    def kind_of(item):
        inner = item["inner"]
        return next(iter(inner)) if isinstance(inner, dict) else inner

    def visit(item_id, path):
        item_id = str(item_id)
        item = index.get(item_id)
        if item is None:
            return
        kind = kind_of(item)
        if kind == "use":
            use = item["inner"]["use"]
            target = use.get("id")
            if target is None:
                return
            if use.get("is_glob"):
                target_item = index.get(str(target))
                if target_item and kind_of(target_item) == "module":
                    for child in target_item["inner"]["module"]["items"]:
                        visit(child, path)
                return
            visit(target, path + [use["name"]])
            return
        name = item.get("name")
        here = path + ([name] if name and kind != "use" else [])
        paths["::".join(here)] += 1
        if item_id in seen:
            return
        seen.add(item_id)
        kinds[kind] += 1
        listing.append((kind, "::".join(here)))
        inner = item["inner"][kind] if isinstance(item["inner"], dict) else {}
        if kind == "module":
            for child in inner["items"]:
                child_item = index.get(str(child))
                if child_item and child_item.get("visibility") in ("public", "default"):
                    visit(child, here)
                elif child_item and kind_of(child_item) == "use" and child_item.get("visibility") == "public":
                    visit(child, here)
        elif kind in ("struct", "enum", "union"):
            if kind == "enum":
                for variant in inner["variants"]:
                    visit(variant, here)
            if kind == "struct":
                fields = inner["kind"].get("plain", {}).get("fields", []) if isinstance(inner["kind"], dict) else []
                for field in fields:
                    field_item = index.get(str(field))
                    if field_item and field_item.get("visibility") == "public":
                        visit(field, here)
            for impl_id in inner.get("impls", []):
                impl = index.get(str(impl_id))
                if not impl:
                    continue
                impl_inner = impl["inner"]["impl"]
                if impl_inner.get("synthetic") or impl_inner.get("blanket_impl"):
                    continue
                trait = impl_inner.get("trait")
                if trait is not None:
                    continue  # trait impls: counted with the trait, not per type
                for member in impl_inner["items"]:
                    member_item = index.get(str(member))
                    if member_item and member_item.get("visibility") == "public":
                        visit(member, here)
        elif kind == "trait":
            for member in inner["items"]:
                visit(member, here)
        elif kind == "variant":
            pass

    visit(root, [])
    groups = {
        "modules": kinds["module"],
        "types": sum(kinds[k] for k in ("struct", "enum", "union", "trait", "type_alias")),
        "functions and methods": kinds["function"],
        "constants": kinds["constant"] + kinds["assoc_const"] + kinds["static"],
        "variants": kinds["variant"],
        "fields": kinds["struct_field"],
        "other": sum(v for k, v in kinds.items() if k not in ("module", "struct", "enum", "union", "trait", "type_alias", "function", "constant", "assoc_const", "static", "variant", "struct_field")),
    }
    total = sum(groups.values())
    print(f"{total} public items: " + ", ".join(f"{v} {k}" for k, v in groups.items()))
    print(f"{sum(1 for p, n in paths.items() if n)} public paths ({len(seen)} distinct items)")
    if "--list" in sys.argv:
        for kind, path in sorted(listing, key=lambda x: x[1]):
            print(f"{kind:12} {path}")


if __name__ == "__main__":
    main()
