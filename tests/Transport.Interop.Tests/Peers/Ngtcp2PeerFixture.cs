using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

/// <summary>One certificate chain and one web root for all ngtcp2 peer-vs-peer tests.</summary>
public sealed class Ngtcp2PeerFixture : IDisposable
{
    public Ngtcp2PeerFixture()
    {
        Directory = new PeerTestDirectory("ngtcp2");
        Certificates = TestCertificates.Create(Directory.Sub("certs"));
        Www = new InteropWww(Directory.Sub("www"), seed: 9000);
        OneKilobyte = Www.AddFile(1024);
        OneMegabyte = Www.AddFile(1024 * 1024);
        TenMegabytes = Www.AddFile(10 * 1024 * 1024);
        var many = new List<string>();
        var rng = new Random(5);
        for (int i = 0; i < 50; i++) many.Add(Www.AddFile(rng.Next(1, 20_000)));
        Fifty = many;
        FiveKilobytes = Www.AddFile(5 * 1024);
        TenKilobytes = Www.AddFile(10 * 1024);
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
    public IReadOnlyList<string> Fifty { get; }
    public string FiveKilobytes { get; }
    public string TenKilobytes { get; }
    public IReadOnlyList<string> ZeroRtt { get; }

    public void Dispose()
    {
        Certificates.Dispose();
        Directory.Dispose();
    }
}
