using Transport.Interop.Checks;

namespace Transport.Interop.Tests.Matrix;

/// <summary>
/// A copy (in a temp directory) of a cell recorded by the matrix (ngtcp2 → ngtcp2, quick, seed 11; pcaps of both relay
/// sides, the key log, www and downloads) under Matrix/Traces/&lt;test&gt;, so that checks can be run against it and the
/// copy altered.
/// </summary>
public sealed class RecordedTrace : IDisposable
{
    public RecordedTrace(string test)
    {
        string source = Path.Combine(SourceRoot(), test);
        Directory = Path.Combine(Path.GetTempPath(), $"matrix-trace-{test}-{Guid.NewGuid():N}");
        Copy(source, Directory);
    }

    public string Directory { get; }

    public CheckContext Context(bool withKeyLog = true)
    {
        CheckContext c = CheckInput.LoadContext(Directory, Path.Combine(Directory, "tshark"));
        if (withKeyLog) return c;
        string left = c.ClientTrace.PcapPath, right = c.ServerTrace.PcapPath;
        return new CheckContext
        {
            ClientTrace = new PacketTrace(left, c.ClientTrace.ServerEndPoint, null, Path.Combine(Directory, "tshark")),
            ServerTrace = new PacketTrace(right, c.ServerTrace.ServerEndPoint, null, Path.Combine(Directory, "tshark")),
            KeyLog = null, WebRoot = c.WebRoot, DownloadDirectory = c.DownloadDirectory, Files = c.Files,
        };
    }

    private static string SourceRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            string candidate = Path.Combine(dir, "tests", "Transport.Interop.Tests", "Matrix", "Traces");
            if (System.IO.Directory.Exists(candidate)) return candidate;
            dir = Path.GetDirectoryName(dir);
        }
        throw new DirectoryNotFoundException("tests/Transport.Interop.Tests/Matrix/Traces not found above " + AppContext.BaseDirectory);
    }

    private static void Copy(string from, string to)
    {
        System.IO.Directory.CreateDirectory(to);
        foreach (string f in System.IO.Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (string d in System.IO.Directory.GetDirectories(from)) Copy(d, Path.Combine(to, Path.GetFileName(d)));
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
