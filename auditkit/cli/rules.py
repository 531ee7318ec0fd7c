"""`auditkit rules`: the rule catalogue a run would use, with its parameters and code map."""

from __future__ import annotations

import argparse

from auditkit.cli.common import EXIT_OK, PARAMS_HELP, add_catalogue_options, catalogue_of


def cmd_rules(args: argparse.Namespace) -> int:
    from auditkit.params import Params, parameter_label, read_params_file

    catalogue = catalogue_of(args)
    params = Params.from_dict(read_params_file(args.params))
    print(f"Rule catalogue {catalogue.name} (source: {catalogue.source.cite()})")
    print(f"sha256 {catalogue.fingerprint()}\n")
    print("Parameters (texts below are rendered from them):")
    for name, value in params.to_dict().items():
        if name != "as_of":  # a date of the data, not of the rules
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            shown = str(shown).lower() if isinstance(shown, bool) else shown
            print(f"    {parameter_label(name)} ({name}): {shown}")
    print()
    for rule in catalogue.rules:  # 13 rules, not data rows
        text = rule.text(params)
        print(f"{rule.id}  {text.title}")
        print(f"    applies to: {text.applies_to}")
        print(f"    reads:      {', '.join(rule.reads)}")
        print(f"    source:     {rule.citation}")
        print(f"    passes:     {text.pass_reason}")
        if text.reading:
            print(f"    reading:    {text.reading}")
        print()
    print("The platform's error codes and the rules each stands for:")
    width = max((len(code) for code, _ in catalogue.decision_codes), default=0)
    for code, rule_ids in catalogue.decision_codes:
        print(f"    {code:<{width}}  {', '.join(rule_ids)}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    rules = sub.add_parser(
        "rules", help="print the rule catalogue a run would use: texts, readings, code map"
    )
    rules.add_argument("--params", help=PARAMS_HELP)
    add_catalogue_options(rules)
    rules.set_defaults(run=cmd_rules)
