"""The benchmark's figures as a plain-text table."""

from __future__ import annotations

from typing import Any


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _rows(title: str, rows: list[tuple[str, Any, Any]]) -> list[str]:
    width = max(len(r[0]) for r in rows)
    lines = [f"\n{title}", "-" * len(title)]
    for label, value, note in rows:
        lines.append(f"  {label:<{width}}  {_fmt(value):>14}  {note or ''}".rstrip())
    return lines


def table(results: dict[str, Any]) -> str:
    """Everything that matters, one figure a line (for the phases that ran)."""
    m = results["machine"]
    lines = [
        f"EstateDesk benchmark — {m['when']}  commit {m['git_commit'][:12]}"
        f"{' (+uncommitted changes)' if m['git_dirty'] else ''}",
        f"{m['cpu_count']} CPUs ({m['cpu_model']}), Python {m['python']}, SQLite {m['sqlite']},"
        f" PTB {m['python_telegram_bot']}; load average at start {m['load_average_at_start']},"
        f" at end {m.get('load_average_at_end')}",
    ]
    if results.get("options", {}).get("storage") == "postgres":
        lines.append(f"storage: PostgreSQL ({m.get('postgresql') or 'version unknown'})")
    if "intake" in results:
        lines += _intake(results["intake"], results.get("echo"))
    if "intake" in results and "echo" in results:
        lines += _versus(results["ratios"])
    if "fanout" in results:
        lines += _fanout(results["fanout"], results["ratios"])
    if "scale" in results:
        lines += _scale(results["scale"])
    for name, prof in (results.get("profile") or {}).items():
        lines += _profile(name, prof)
    lines.append(f"\ntotal {results['seconds']} s")
    return "\n".join(lines)


def _intake(ours: dict[str, Any], echo: dict[str, Any] | None) -> list[str]:
    def bare(key: str, sub: str | None = None) -> str:
        if echo is None:
            return ""
        value = echo[key][sub] if sub else echo[key]
        return f"bare PTB: {_fmt(value)}"

    lat = ours["latency"]
    submit = ours["latency_by_step"].get("submit", {})
    return _rows(
        f"1. Intake: {ours['owners']} owners at once, {ours['updates']} updates",
        [
            ("owners completed", ours["owners_completed"], f"of {ours['owners']}"),
            (
                "updates/s (until the last ticket number)",
                ours["updates_per_s"],
                bare("updates_per_s"),
            ),
            ("completed tickets/s", ours["completed_per_s"], ""),
            (
                "updates/s (until the last Submit)",
                ours["conversation_updates_per_s"],
                bare("conversation_updates_per_s"),
            ),
            ("latency p50 (ms)", lat["p50_ms"], bare("latency", "p50_ms")),
            ("latency p95 (ms)", lat["p95_ms"], bare("latency", "p95_ms")),
            ("latency p99 (ms)", lat["p99_ms"], bare("latency", "p99_ms")),
            (
                "Submit → ticket number p50 (ms)",
                submit.get("p50_ms"),
                f"p95 {_fmt(submit.get('p95_ms'))}, p99 {_fmt(submit.get('p99_ms'))}",
            ),
            (
                "CPU ms/update (until the last Submit)",
                ours["conversation_cpu_ms_per_update"],
                bare("conversation_cpu_ms_per_update"),
            ),
            (
                "CPU ms/update (until the last number)",
                ours["cpu_ms_per_update"],
                bare("cpu_ms_per_update"),
            ),
            (
                "CPU ms/update (+ card delivery)",
                ours["cpu_ms_per_update_incl_delivery"],
                f"outbox {'drained' if ours['outbox_drained'] else 'NOT drained'} after "
                f"{_fmt(ours['outbox_drained_s'])} s",
            ),
            *(
                [
                    (
                        "PostgreSQL server CPU ms/update",
                        ours["db_server_cpu_ms_per_update"],
                        "until the last number",
                    )
                ]
                if "db_server_cpu_ms_per_update" in ours
                else []
            ),
            ("bot CPU use (share of one core)", ours["cpu_utilisation"], bare("cpu_utilisation")),
            ("peak RSS (MiB)", ours["peak_rss_mib"], bare("peak_rss_mib")),
            ("harness CPU s", ours["harness_cpu_s"], f"of {_fmt(ours['seconds'])} s wall"),
            (
                "tickets stored / shown / lost",
                f"{ours['tickets']['in_database']} / "
                f"{ours['tickets']['confirmed_to_owners']} / {ours['tickets']['lost']}",
                "",
            ),
        ],
    )


def _versus(ratios: dict[str, Any]) -> list[str]:
    targets, meets = ratios["targets"], ratios["meets"]

    def verdict(key: str) -> str:
        return "ok" if meets[key] else "MISSED"

    cpu_target = f"target ≤ {targets['cpu_ratio_max']}"
    rate_target = f"target ≥ {targets['throughput_ratio_min']}"
    return _rows(
        "2. Against bare python-telegram-bot",
        [
            (
                "CPU/update ÷ bare, until the last Submit",
                ratios["conversation_cpu_per_update_vs_bare"],
                f"{cpu_target}  {verdict('conversation_cpu')}",
            ),
            (
                "CPU/update ÷ bare, until the last number",
                ratios["cpu_per_update_vs_bare"],
                f"{cpu_target}  {verdict('cpu')}",
            ),
            (
                "CPU/update incl. card delivery ÷ bare",
                ratios["cpu_per_update_incl_delivery_vs_bare"],
                "",
            ),
            *(
                [
                    (
                        "bot + PostgreSQL server CPU/update ÷ bare",
                        ratios["cpu_with_db_server_vs_bare"],
                        "until the last number",
                    )
                ]
                if "cpu_with_db_server_vs_bare" in ratios
                else []
            ),
            (
                "throughput ÷ bare, until the last Submit",
                ratios["conversation_throughput_vs_bare"],
                f"{rate_target}  {verdict('conversation_throughput')}",
            ),
            (
                "throughput ÷ bare, until the last number",
                ratios["throughput_vs_bare"],
                f"{rate_target}  {verdict('throughput')}",
            ),
        ],
    ) + _same_transport(ratios.get("same_transport"))


def _same_transport(same: dict[str, Any] | None) -> list[str]:
    """The ratios to the bare bot running on our HTTP transport (aiohttp), if it ran."""
    if same is None:
        return []
    return _rows(
        "2b. Against the bare bot on our HTTP transport (aiohttp): our own code",
        [
            (
                "CPU/update ÷ bare-aiohttp, until the last Submit",
                same["conversation_cpu_per_update"],
                "",
            ),
            ("CPU/update ÷ bare-aiohttp, until the last number", same["cpu_per_update"], ""),
            (
                "throughput ÷ bare-aiohttp, until the last Submit",
                same["conversation_throughput"],
                "",
            ),
            ("throughput ÷ bare-aiohttp, until the last number", same["throughput"], ""),
        ],
    )


def _fanout(fan: dict[str, Any], ratios: dict[str, Any]) -> list[str]:
    targets, meets = ratios["targets"], ratios["meets"]
    return _rows(
        f"3. Fan-out: {fan['messages']} outbox messages to distinct chats",
        [
            (
                "fake's global limit (msg/s)",
                fan["fake_global_limit_per_s"],
                f"scale {_fmt(fan['fake_scale'])}",
            ),
            (
                "worker's own pacing (msg/s)",
                fan["worker_pacing_per_s"],
                "telegram.messages_per_second",
            ),
            ("achieved (msg/s)", fan["achieved_per_s"], ""),
            (
                "achieved ÷ allowed",
                fan["achieved_over_allowed"],
                f"target ≥ {targets['fanout_ratio_min']}  "
                f"{'ok' if meets['fanout_rate'] else 'MISSED'}",
            ),
            ("429 answers", fan["http_429"], "target 0"),
            ("delivered", fan["delivered"], f"in {_fmt(fan['all_delivered_s'])} s"),
        ],
    )


def _scale(sc: dict[str, Any]) -> list[str]:
    db = sc["database"]
    st = sc["startup"]
    rows: list[tuple[str, Any, Any]] = [
        (
            "tickets / open / events",
            f"{db['tickets']:,} / {db['open_tickets']:,} / {db['events']:,}",
            f"{db['size_bytes'] / 2**20:,.0f} MiB, made in {db['seconds']} s",
        ),
        ("start-up to getMe (s)", st["get_me_s"], ""),
        (
            "start-up to first getUpdates (s)",
            st["first_get_updates_s"],
            f"TIMED OUT after {st['timeout_s']:g} s"
            if st["timed_out"]
            else f"{_fmt(st['jobs_rebuilt'])} jobs rebuilt",
        ),
    ]
    if "my" in sc:
        rows += [
            (
                f"/my, {db['owner_tickets']} tickets: first / median (ms)",
                f"{_fmt(sc['my'].get('first_ms'))} / {_fmt(sc['my'].get('median_ms'))}",
                sc["my"].get("error", ""),
            ),
            (
                f"/queue, {db['staff_open']} open: first / median (ms)",
                f"{_fmt(sc['queue'].get('first_ms'))} / {_fmt(sc['queue'].get('median_ms'))}",
                sc["queue"].get("error", ""),
            ),
            (
                "RSS at rest / peak (MiB)",
                f"{sc['memory_at_rest']['rss_mib']} / {sc['memory_at_rest']['peak_rss_mib']}",
                "",
            ),
            (
                "one report: Submit → number (ms)",
                sc["one_report"]["latency_by_step_ms"].get("submit"),
                sc["one_report"]["error"],
            ),
        ]
        if month := sc.get("monthly_report"):
            rows.append(
                (
                    f"report {month['period']} ({month['opened']:,} new): first / best (s)",
                    f"{month['first_s']} / {month['best_s']}",
                    "",
                )
            )
    lines = _rows(f"4. Database of {db['tickets']:,} tickets", rows)
    queries = sc.get("queries") or []
    if queries:
        lines.append("\n   store queries on that database (best of 3, ms):")
        for q in sorted(queries, key=lambda q: -q["best_ms"]):
            lines.append(f"   {q['best_ms']:>10,.2f}  {q['query']}  [{q['rows']} rows]")
    return lines


def _profile(name: str, prof: dict[str, Any] | None) -> list[str]:
    if not prof:
        return []
    if "error" in prof:
        return [f"\nprofile ({name}): {prof['error']}"]
    lines = [
        f"\nprofile ({name}): {prof['busy_samples']} busy of {prof['samples']} samples;"
        f" threads {prof['threads']}",
        "   our code, by the deepest bot/ frame on the stack:",
    ]
    lines += [f"   {100 * r['share']:5.1f}%  {r['where']}" for r in prof["own_attributed"][:10]]
    lines.append("   our code, inclusive:")
    lines += [f"   {100 * r['share']:5.1f}%  {r['where']}" for r in prof["own_inclusive"][:10]]
    lines.append("   leaf functions (self time):")
    lines += [f"   {100 * r['share']:5.1f}%  {r['where']}" for r in prof["self"][:8]]
    return lines
