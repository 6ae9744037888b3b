namespace Transport.Interop.Peers;

/// <summary>
/// The outcome of one gtlsclient run. gtlsclient exits 0 even when a download failed, so success is judged by
/// comparing files (<see cref="DownloadVerdict"/>), not by <see cref="ExitCode"/> alone.
/// </summary>
public sealed class Ngtcp2ClientRun
{
    internal Ngtcp2ClientRun(string commandLine, int? exitCode, TimeSpan elapsed, string stdoutPath, string stderrPath,
        string downloadDirectory, string? keyLogFile, bool quiet)
    {
        CommandLine = commandLine;
        ExitCode = exitCode;
        Elapsed = elapsed;
        StandardOutputPath = stdoutPath;
        StandardErrorPath = stderrPath;
        DownloadDirectory = downloadDirectory;
        KeyLogFile = keyLogFile;
        Quiet = quiet;
    }

    /// <summary>The command as run.</summary>
    public string CommandLine { get; }

    /// <summary>The exit code; null when the run was killed at its deadline.</summary>
    public int? ExitCode { get; }

    /// <summary>True when the deadline passed and the process tree was killed.</summary>
    public bool TimedOut => ExitCode is null;

    /// <summary>Wall-clock time from start to exit (for logs, not for assertions).</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Path of the captured stdout.</summary>
    public string StandardOutputPath { get; }

    /// <summary>Path of the captured stderr (the ngtcp2 debug log unless quiet).</summary>
    public string StandardErrorPath { get; }

    /// <summary>Where files were downloaded.</summary>
    public string DownloadDirectory { get; }

    /// <summary>The key log the client wrote, or null.</summary>
    public string? KeyLogFile { get; }

    /// <summary>Whether the client ran with <c>-q</c> (then <see cref="ReadLog"/> has little to say).</summary>
    public bool Quiet { get; }

    /// <summary>Parses the client's debug log (stderr).</summary>
    public Ngtcp2Log ReadLog() => Ngtcp2Log.Parse(StandardErrorPath);

    /// <summary>Compares the downloads with <paramref name="webRoot"/> for the expected files.</summary>
    public DownloadVerdict Verify(string webRoot, IEnumerable<string> expectedFiles) =>
        DownloadVerdict.Compare(webRoot, DownloadDirectory, expectedFiles);

    /// <summary>A one-line description, with the stderr tail when the run failed or timed out.</summary>
    public override string ToString() =>
        (TimedOut ? "gtlsclient killed at its deadline" : $"gtlsclient exited with {ExitCode}") + $" after {Elapsed.TotalMilliseconds:F0} ms: {CommandLine}"
        + (ExitCode == 0 ? "" : "\n" + PeerProcess.ReadTail(StandardErrorPath, 1500));
}
