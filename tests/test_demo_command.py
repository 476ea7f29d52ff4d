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


def _analyze_argv(tmp_path, monkeypatch, *argv):
    """The demo's steps replaced by stand-ins; returns the argv the demo gives ``analyze``."""
    calls = []
    for module in (preprocess, train, generate, analyze):
        monkeypatch.setattr(module, "main", lambda a, _name=module.__name__, **k: calls.append((_name, list(a))) or 0)
    assert demo.main(["--workdir", str(tmp_path), "--no-progress", *argv]) == 0
    return calls[-1][1]


def test_the_report_compares_with_the_installed_pretrained_model(tiny_store, tiny_model_folder, tmp_path,
                                                                 monkeypatch, capsys):
    import json
    import shutil

    from genmusic import pretrained

    root = tmp_path / "installed"
    shutil.copytree(tiny_model_folder, root / demo.PRETRAINED)
    monkeypatch.setattr(pretrained, "ROOT", root)
    shutil.copytree(tiny_store.path, tmp_path / "work" / "spectrograms")  # what the demo's preprocess step writes
    argv = _analyze_argv(tmp_path / "work", monkeypatch)
    models = [argv[i + 1] for i, a in enumerate(argv) if a == "--model"]
    assert models == [str(tmp_path / "work" / "saved_models" / "vae"), str(root / demo.PRETRAINED)]
    assert f"compared:     {demo.PRETRAINED}" in capsys.readouterr().out
    argv = _analyze_argv(tmp_path / "work", monkeypatch, "--no-pretrained")
    assert argv.count("--model") == 1
    # a pretrained model of other spectrogram settings is left out, with the reason
    meta = json.loads((root / demo.PRETRAINED / "genmusic.json").read_text())
    meta["config"]["spectrogram"]["hop_length"] = 32
    (root / demo.PRETRAINED / "genmusic.json").write_text(json.dumps(meta))
    argv = _analyze_argv(tmp_path / "work", monkeypatch)
    assert argv.count("--model") == 1
    assert "left out of the report: realmusic-v1 and the demo's spectrograms were made with different settings " \
           "(spectrogram.hop_length: 32 (model) vs 64 (spectrograms)" in capsys.readouterr().out
