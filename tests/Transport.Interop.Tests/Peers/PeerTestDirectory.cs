namespace Transport.Interop.Tests.Peers;

/// <summary>A per-test temporary directory, deleted on dispose (kept when TRANSPORT_KEEP_PEER_RUNS is set).</summary>
public sealed class PeerTestDirectory : IDisposable
{
    public PeerTestDirectory(string label)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"transport-peers-{label}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name)
    {
        string p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(p);
        return p;
    }

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("TRANSPORT_KEEP_PEER_RUNS") is { Length: > 0 }) return;
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
