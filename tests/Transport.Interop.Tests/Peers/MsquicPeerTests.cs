using System.Net;
using System.Text;
using Transport.Interop.Msquic;
using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

public sealed class MsquicPeerTests
{
    [Fact]
    public void Availability_and_reason_agree()
    {
        if (MsquicPeer.IsAvailable)
        {
            Assert.Null(MsquicPeer.UnavailableReason);
            MsquicPeer.ThrowIfUnavailable();
        }
        else
        {
            Assert.Equal(MsquicPeer.NotInstalledMessage, MsquicPeer.UnavailableReason);
            var e = Assert.Throws<PlatformNotSupportedException>(MsquicPeer.ThrowIfUnavailable);
            Assert.Equal(
                "libmsquic not installed (install the libmsquic package from packages.microsoft.com to enable msquic interop)", e.Message);
        }
    }

    [Fact]
    public void Availability_follows_System_Net_Quic()
    {
#pragma warning disable CA1416 // IsSupported itself is callable everywhere
        bool quic = System.Net.Quic.QuicConnection.IsSupported && System.Net.Quic.QuicListener.IsSupported;
#pragma warning restore CA1416
        Assert.Equal(quic, MsquicPeer.IsAvailable);
    }

    [Fact]
    public async Task Server_and_client_refuse_clearly_without_libmsquic()
    {
        if (MsquicPeer.IsAvailable) return; // covered by the transfer test below
        using var dir = new PeerTestDirectory("msquic");
        using TestCertificates certs = TestCertificates.Create(dir.Sub("certs"));
        var e1 = await Assert.ThrowsAsync<PlatformNotSupportedException>(() =>
            MsquicHqServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), dir.Sub("www"), certs.Leaf));
        Assert.Equal(MsquicPeer.NotInstalledMessage, e1.Message);
        var e2 = await Assert.ThrowsAsync<PlatformNotSupportedException>(() =>
            MsquicHqClient.DownloadAsync(new IPEndPoint(IPAddress.Loopback, 443), "server4", ["https://server4:443/a"], dir.Sub("dl")));
        Assert.Equal(MsquicPeer.NotInstalledMessage, e2.Message);
    }

    [Fact]
    public async Task Bad_arguments_are_reported_before_availability()
    {
        using var dir = new PeerTestDirectory("msquic");
        using TestCertificates certs = TestCertificates.Create(dir.Sub("certs"));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            MsquicHqClient.DownloadAsync(new IPEndPoint(IPAddress.Loopback, 443), "server4", ["not a url"], dir.Path));
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() =>
            MsquicHqServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Path.Combine(dir.Path, "missing"),
                certs.Leaf));
    }

    [Theory]
    [InlineData("GET /quick-brown-fox\r\n", "/quick-brown-fox")]
    [InlineData("GET /quick-brown-fox", "/quick-brown-fox")]
    [InlineData("GET /a%20b  \r\n", "/a b")]
    [InlineData("GET /dir/file\n", "/dir/file")]
    [InlineData("POST /x\r\n", null)]
    [InlineData("GET x\r\n", null)]
    [InlineData("GET /x HTTP/1.1\r\n", null)]
    [InlineData("", null)]
    public void Request_lines_parse_like_the_hq_interop_peers(string request, string? path) =>
        Assert.Equal(path, MsquicHqServer.ParsePath(Encoding.ASCII.GetBytes(request)));

    [RequiresMsquicFact(Timeout = 60_000)]
    public async Task Msquic_client_downloads_from_msquic_server_over_hq_interop()
    {
        using var dir = new PeerTestDirectory("msquic");
        using TestCertificates certs = TestCertificates.Create(dir.Sub("certs"));
        var www = new InteropWww(dir.Sub("www"), 11);
        www.AddFile(1024);
        www.AddFile(1024 * 1024);
        for (int i = 0; i < 20; i++) www.AddFile(32);
        await using MsquicHqServer server = await MsquicHqServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), www.Root, certs.Leaf);
        string dl = dir.Sub("dl");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await MsquicHqClient.DownloadAsync(server.LocalEndPoint, "server4",
            www.Files.Select(f => $"https://server4:{server.LocalEndPoint.Port}/{f}"), dl, cts.Token);
        DownloadVerdict v = DownloadVerdict.Compare(www.Root, dl, www.Files);
        Assert.True(v.Succeeded, v.ToString());
        Assert.Equal(www.Files.Count, server.RequestsServed);
    }
}
