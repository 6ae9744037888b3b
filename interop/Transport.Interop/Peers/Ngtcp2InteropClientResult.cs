namespace Transport.Interop.Peers;

/// <summary>The gtlsclient runs made for one interop test case, and the exit code the runner would see.</summary>
public sealed class Ngtcp2InteropClientResult
{
    internal Ngtcp2InteropClientResult(string testCase, Ngtcp2ClientShape shape, IReadOnlyList<Ngtcp2ClientRun> runs)
    {
        TestCase = testCase;
        Shape = shape;
        Runs = runs;
    }

    /// <summary>The TESTCASE value.</summary>
    public string TestCase { get; }

    /// <summary>How the requests were split.</summary>
    public Ngtcp2ClientShape Shape { get; }

    /// <summary>The runs, in order (empty when unsupported).</summary>
    public IReadOnlyList<Ngtcp2ClientRun> Runs { get; }

    /// <summary>
    /// 127 when unsupported, 0 when every run exited 0, else 1. As gtlsclient exits 0 after failed downloads, the
    /// verdict still needs <see cref="DownloadVerdict"/>.
    /// </summary>
    public int ExitCode => Shape == Ngtcp2ClientShape.Unsupported ? 127 : Runs.All(r => r.ExitCode == 0) ? 0 : 1;
}
