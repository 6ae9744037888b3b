using System.Net;
using Transport.Interop.Endpoint;
using Transport.Interop.Msquic;
using Transport.Interop.Tests.Peers;

namespace Transport.Interop.Tests.Ours;

/// <summary>
/// Our endpoint against msquic (System.Net.Quic's hq-interop peer). Skips with MsquicPeer.UnavailableReason
/// ("libmsquic not installed ...") where libmsquic is absent.
/// </summary>
[Collection(OursCollection.Name)]
public sealed class MsquicPairingTests(OursFixture fixture)
{
    [RequiresMsquicFact(Timeout = OursHarness.TestTimeout)]
    public async Task Msquic_client_against_our_server()
    {
        using var run = new PeerTestDirectory("mq-client");
        string downloads = run.Sub("downloads");
        string[] files = [fixture.OneKilobyte, fixture.OneMegabyte, .. fixture.Multiplex.Take(50)];
        await using InteropServer server = await OursHarness.StartServerAsync(fixture, "transfer");
        using var cts = new CancellationTokenSource(OursHarness.ClientDeadline);
        await MsquicHqClient.DownloadAsync(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port), "server4",
            OursHarness.Urls(files), downloads, cts.Token);
        OursHarness.AssertFiles(fixture, downloads, files, "msquic client");
    }

    [RequiresMsquicFact(Timeout = OursHarness.TestTimeout)]
    public async Task Our_client_against_msquic_server()
    {
        using var run = new PeerTestDirectory("mq-server");
        string downloads = run.Sub("downloads");
        string[] files = [fixture.OneKilobyte, fixture.OneMegabyte, .. fixture.Multiplex.Take(50)];
        await using MsquicHqServer server = await MsquicHqServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), fixture.Www.Root,
            fixture.Certificates.Leaf, null);
        (int exit, string log, _) = await OursHarness.RunClientAsync("transfer", files, server.LocalEndPoint, downloads);
        Assert.True(exit == 0, log);
        OursHarness.AssertFiles(fixture, downloads, files, log);
    }
}
