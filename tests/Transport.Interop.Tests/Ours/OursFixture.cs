using Transport.Interop.Peers;
using Transport.Interop.Tests.Peers;

namespace Transport.Interop.Tests.Ours;

/// <summary>One certificate chain (made at test time) and one web root for every test of our endpoint.</summary>
public sealed class OursFixture : IDisposable
{
    /// <summary>More files than ngtcp2's and our default stream limit (100), so MAX_STREAMS must be raised during the run.</summary>
    public const int MultiplexCount = 250;

    /// <summary>The runner's multiplexing test: 1999 files of 32 bytes, beyond our server's 1000-stream limit.</summary>
    public const int RunnerMultiplexCount = 1999;

    public OursFixture()
    {
        Directory = new PeerTestDirectory("ours");
        Certificates = TestCertificates.Create(Directory.Sub("certs"));
        Www = new InteropWww(Directory.Sub("www"), seed: 4242);
        OneKilobyte = Www.AddFile(1024);
        OneMegabyte = Www.AddFile(1024 * 1024);
        TenMegabytes = Www.AddFile(10 * 1024 * 1024);
        FiveKilobytes = Www.AddFile(5 * 1024);
        TenKilobytes = Www.AddFile(10 * 1024);
        var many = new List<string>();
        for (int i = 0; i < MultiplexCount; i++) many.Add(Www.AddFile(32));
        Multiplex = many;
        var runner = new List<string>();
        for (int i = 0; i < RunnerMultiplexCount; i++) runner.Add(Www.AddFile(32));
        RunnerMultiplex = runner;
        var zeroRtt = new List<string>();
        for (int i = 0; i < 40; i++) zeroRtt.Add(Www.AddFileWithRandomName(32, 250));
        ZeroRtt = zeroRtt;
    }

    public PeerTestDirectory Directory { get; }
    public TestCertificates Certificates { get; }
    public InteropWww Www { get; }
    public string OneKilobyte { get; }
    public string OneMegabyte { get; }
    public string TenMegabytes { get; }
    public string FiveKilobytes { get; }
    public string TenKilobytes { get; }
    public IReadOnlyList<string> Multiplex { get; }
    public IReadOnlyList<string> RunnerMultiplex { get; }
    public IReadOnlyList<string> ZeroRtt { get; }

    public void Dispose()
    {
        Certificates.Dispose();
        Directory.Dispose();
    }
}

/// <summary>The tests of our endpoint run one at a time: they move megabytes over loopback on shared cores.</summary>
[CollectionDefinition(Name)]
public sealed class OursCollection : ICollectionFixture<OursFixture>
{
    public const string Name = "Ours";
}
