"""Tests of ``genmusic demo`` through ``genmusic.commands.demo.main([...])`` with its four steps replaced
by stand-ins (the real steps have tests of their own): the order of the steps, new music for the latent
map, and the last line, which is the report's path."""

from __future__ import annotations

from genmusic.commands import analyze, demo, generate, preprocess, train


def test_demo_runs_the_steps_marks_new_music_and_ends_with_the_report_path(tmp_path, monkeypatch, capsys):
    calls = []

    def stand_in(name):
        def step(argv, **kwargs):
            calls.append((name, list(argv)))
            if name == "generate" and "remix" in argv:  # the remix the demo passes to analyze as new music
                out = tmp_path / "generated" / "remix"
                out.mkdir(parents=True)
                (out / "remix_a_b.wav").write_bytes(b"")
            return 0
        return step

    for module in (preprocess, train, generate, analyze):
        monkeypatch.setattr(module, "main", stand_in(module.__name__.rsplit(".", 1)[-1]))
    assert demo.main(["--workdir", str(tmp_path), "--no-progress"]) == 0
    names = [name for name, _ in calls]
    assert names[:2] == ["preprocess", "train"] and set(names[2:-1]) == {"generate"} and names[-1] == "analyze"
    analyze_argv = calls[-1][1]
    assert analyze_argv[analyze_argv.index("--input") + 1] == str(tmp_path / "generated" / "remix" / "remix_a_b.wav")
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == str((tmp_path / "reports" / "analysis" / "report.html").resolve())
