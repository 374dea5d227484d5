"""``bvte keys``: the office's key pair (tips are sealed to the public key; the private key stays here)."""

from __future__ import annotations

from pathlib import Path

import click

from ..core import crypto
from ..keys import write_keypair

def ask_new_passphrase() -> str:
    """From the file ``BVTE_NEW_PASSPHRASE_FILE`` names (scripts, tests) or asked twice, hidden."""
    from .session import new_passphrase

    return new_passphrase("Mật khẩu bảo vệ khóa riêng")


@click.group("keys", help="Cặp khóa của văn phòng: tin báo được mã hóa bằng khóa công khai.")
def group() -> None:
    pass


@group.command("generate", help="Tạo cặp khóa mới (không bao giờ ghi đè khóa đã có).")
@click.option("--private-key", "private_path", type=click.Path(path_type=Path), default=Path("office.key"),
              show_default=True, help="Tệp khóa riêng (được bảo vệ bằng mật khẩu; giữ trên máy này).")
@click.option("--public-key", "public_path", type=click.Path(path_type=Path), default=Path("office.pub"),
              show_default=True, help="Tệp khóa công khai (đưa lên máy chủ).")
@click.option("--kdf", type=click.Choice(sorted(crypto.KDF_LEVELS)), default="moderate", show_default=True,
              help="Mức Argon2id bảo vệ khóa riêng.")
def generate(private_path: Path, public_path: Path, kdf: str) -> None:
    for path in (private_path, public_path):
        if path.exists():
            raise click.ClickException(f"{path} đã có: không ghi đè khóa cũ (tin báo cũ cần nó để đọc).")
    passphrase = ask_new_passphrase()
    try:
        write_keypair(public_path, private_path, passphrase, level=kdf)
    except FileExistsError as exc:
        raise click.ClickException(f"{exc.args[0]} đã có: không ghi đè khóa cũ.") from None
    public = public_path.read_text(encoding="ascii").strip()
    click.echo(f"Đã tạo khóa riêng: {private_path} (chỉ chủ tệp đọc được; giữ kín, sao lưu ở nơi an toàn).")
    click.echo(f"Đã tạo khóa công khai: {public_path}")
    click.echo("Trên máy chủ, đặt biến môi trường:")
    click.echo(f"  BVTE_PUBLIC_KEY={public}")
    click.echo("Mất khóa riêng hoặc quên mật khẩu thì không ai đọc được các tin báo đã mã hóa bằng khóa này.")
