using System.Net;
using Transport.Interop.Endpoint;
using Transport.Interop.Peers;
using Transport.Interop.Relay;
using Transport.Interop.Tests.Peers;

namespace Transport.Interop.Tests.Ours;

/// <summary>
/// Our endpoint against ngtcp2 through the relay under the runner's transferloss scenario (15 ms each way, 10 Mbit/s,
/// 25-packet queue, 2 % loss each way in bursts of up to 3): loss recovery, ACK ranges and flow control across stacks.
/// </summary>
[Collection(OursCollection.Name)]
public sealed class ThroughRelayTests(OursFixture fixture)
{
    private const string TransferLoss =
        "drop-rate --delay=15ms --bandwidth=10Mbps --queue=25 --rate_to_server=2 --rate_to_client=2 --burst_to_server=3 --burst_to_client=3";

    private static UdpRelay StartRelay(IPEndPoint server) => new(new UdpRelayOptions
    {
        ServerEndPoint = server,
        Scenario = RelayScenario.Parse(TransferLoss),
        Seed = 17,
        Lifetime = TimeSpan.FromSeconds(60),
    });

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Ngtcp2_client_downloads_from_our_server_under_loss()
    {
        using var run = new PeerTestDirectory("relay-nc");
        string[] files = [fixture.OneMegabyte];
        await using InteropServer server = await OursHarness.StartServerAsync(fixture, "transfer");
        using UdpRelay relay = StartRelay(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port));
        Ngtcp2InteropClientResult result = await OursHarness.RunNgtcp2ClientAsync("transfer", files, relay.ListenEndPoint.Port, run, quiet: true);
        relay.Dispose();
        Assert.False(result.Runs[0].TimedOut, result.Runs[0].ToString());
        OursHarness.AssertFiles(fixture, result.Runs[0].DownloadDirectory, files, relay.Statistics.ToString());
    }

    [RequiresNgtcp2Fact(Timeout = OursHarness.TestTimeout)]
    public async Task Our_client_downloads_from_gtlsserver_under_loss()
    {
        using var run = new PeerTestDirectory("relay-oc");
        string[] files = [fixture.OneMegabyte];
        string downloads = run.Sub("downloads");
        await using Ngtcp2Server server = await OursHarness.StartNgtcp2ServerAsync(fixture, "transfer", run, quiet: true);
        using UdpRelay relay = StartRelay(server.EndPoint);
        (int exit, string log, _) = await OursHarness.RunClientAsync("transfer", files, relay.ListenEndPoint, downloads, alpn: "h3");
        relay.Dispose();
        Assert.True(exit == 0, log + "\n" + relay.Statistics);
        OursHarness.AssertFiles(fixture, downloads, files, log);
    }
}
