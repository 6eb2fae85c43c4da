"""`completion bash|zsh`: a completion script made from the parser itself (no extra dependency): commands, then
each command's options; paths complete as files.

    eval "$(ecs-reconciler completion bash)"      # in ~/.bashrc
    eval "$(ecs-reconciler completion zsh)"       # in ~/.zshrc (uses bashcompinit)
"""

from __future__ import annotations

import argparse


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]]]:
    top = [o for action in parser._actions for o in action.option_strings]
    per_command: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                options = [o for a in sub._actions for o in a.option_strings]
                choices = [str(c) for a in sub._actions if not a.option_strings and a.choices for c in a.choices]
                per_command[name] = sorted(set(options)) + choices
    return top, per_command


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    top, per_command = _words(parser)
    cases = "".join(f'        {name}) words="{" ".join(words)}" ;;\n' for name, words in sorted(per_command.items()))
    body = f"""# ecs-reconciler {shell} completion: eval "$(ecs-reconciler completion {shell})"
_ecs_reconciler() {{
    local cur command="" words i
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            -*) ;;
            *) command="${{COMP_WORDS[i]}}"; break ;;
        esac
    done
    case "$command" in
        "") words="{" ".join(sorted(per_command))} {" ".join(top)}" ;;
{cases}    esac
    if [[ "$cur" == -* || -z "$command" ]]; then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$words" -- "$cur") $(compgen -f -- "$cur"))
    fi
}}
complete -o filenames -F _ecs_reconciler ecs-reconciler
"""
    if shell == "zsh":
        body = "autoload -U +X bashcompinit && bashcompinit\n" + body
    return body
