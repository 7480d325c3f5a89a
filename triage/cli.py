"""The `triage` command: wiring only. Each verb lives in triage/commands/."""

from __future__ import annotations

import logging
import sys

import click

from triage import __version__
from triage.commands.common import EXIT_SETUP


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="triage")
@click.option("--debug", is_flag=True, help="Show Python tracebacks and debug logging.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Forensic triage of disk images into a case database."""
    ctx.obj = {"debug": debug}
    logging.basicConfig(level=logging.DEBUG if debug else logging.ERROR, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


def _add_commands() -> None:
    from triage.commands.evidence import info_cmd, ls_cmd, verify_cmd
    from triage.commands.scan import scan_cmd

    for cmd in (scan_cmd, info_cmd, ls_cmd, verify_cmd):
        cli.add_command(cmd)
    optional = (
        ("triage.commands.rules", "rules_group"),
        ("triage.commands.hashset", "hashset_group"),
        ("triage.commands.plugins", "plugins_cmd"),
        ("triage.commands.batch", "batch_cmd"),
        ("triage.commands.tag", "tag_cmd"),
        ("triage.commands.report", "report_cmd"),
        ("triage.commands.export", "export_cmd"),
        ("triage.commands.extract", "extract_cmd"),
    )
    import importlib

    for module_name, attr in optional:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        cli.add_command(getattr(module, attr))


_add_commands()


def main() -> None:
    """Entry point: one clear line and a non-zero exit instead of a traceback."""
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted; run the same command again to resume", err=True)
        sys.exit(130)
    except Exception as exc:  # the last boundary: never a traceback for an examiner
        if debug:
            raise
        first = str(exc).strip().splitlines()
        click.echo(f"error: {type(exc).__name__}: {first[0] if first else ''} (run with --debug for details)",
                   err=True)
        sys.exit(EXIT_SETUP)
    sys.exit(0)


if __name__ == "__main__":
    main()
