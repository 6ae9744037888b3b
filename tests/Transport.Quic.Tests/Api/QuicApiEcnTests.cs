using Transport.Quic.Connection;
using Transport.Quic.Tests.Endpoint;

namespace Transport.Quic.Tests.Api;

/// <summary>
/// ECN through the public API over real loopback sockets (Linux keeps the TOS byte on loopback): the listener's and the
/// client's sockets mark each datagram as its connection asks and hand the received codepoint to the connection.
/// </summary>
public class QuicApiEcnTests
{
    /// <summary>Echoes 200 KB over a client connected to <paramref name="listener"/> (or to <paramref name="via"/>); returns both sides' statistics.</summary>
    private static async Task<(ConnectionStatistics Client, ConnectionStatistics Server)> EchoAsync(
        QuicListener listener, CancellationToken ct, System.Net.IPEndPoint? via = null, Action<ConnectionOptions>? configureClient = null)
    {
        var server = Task.Run(async () =>
        {
            await using var c = await listener.AcceptConnectionAsync(ct);
            await ApiTest.EchoStreams(c, ct);
            return c.GetStatistics();
        }, ct);
        var options = ApiTest.Client(listener, configureClient);
        if (via is not null) options.RemoteEndPoint = via;
        await using var client = await QuicConnection.ConnectAsync(options, ct);
        byte[] payload = ApiTest.Random(200 * 1024, 7);
        var stream = await client.OpenOutboundStreamAsync(bidirectional: true, ct);
        var read = ApiTest.ReadToEnd(stream, ct);
        await stream.WriteAsync(payload, completeWrites: true, ct);
        Assert.Equal(payload, await read); // whatever ECN did, the transfer is whole
        var clientStatistics = client.GetStatistics();
        await client.DisposeAsync();
        return (clientStatistics, await server.WaitAsync(ct));
    }

    [LinuxEcnFact]
    public async Task Ecn_is_validated_in_both_directions_between_two_of_our_endpoints()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var (client, server) = await EchoAsync(listener, cts.Token);

        Assert.Equal(EcnValidationState.Capable, client.EcnState);
        Assert.Equal(EcnValidationState.Capable, server.EcnState);
        Assert.True(client.EcnMarkedPacketsSent > 10, $"client marked {client.EcnMarkedPacketsSent} packets"); // past the 10 testing packets
        Assert.True(server.EcnMarkedPacketsSent > 10, $"server marked {server.EcnMarkedPacketsSent} packets");
        Assert.True(server.EcnMarkedPacketsReceived > 0, "the server's socket reported no ECT-marked datagram");
        Assert.True(client.EcnMarkedPacketsReceived > 0, "the client's socket reported no ECT-marked datagram");
        Assert.Equal(0, client.EcnCongestionEvents); // nothing on loopback sets CE
    }

    [LinuxEcnFact]
    public async Task Ecn_validation_fails_gracefully_when_the_path_bleaches_the_marks()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        // A relay of plain sockets: it forwards the bytes and sends them with its own TOS byte, 0 (Not-ECT).
        using var bleacher = new HoldingRelay(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, listener.LocalEndPoint.Port), hold: false);
        var (client, server) = await EchoAsync(listener, cts.Token, via: bleacher.EndPoint);

        // Both sides marked their testing packets, the peer counted none (the ACKs carry no ECN counts): RFC 9000
        // §13.4.2.1 says stop marking. The transfer itself was not disturbed (EchoAsync checked the bytes).
        Assert.Equal(EcnValidationState.Failed, client.EcnState);
        Assert.Equal(EcnValidationState.Failed, server.EcnState);
        Assert.Equal(0, server.EcnMarkedPacketsReceived);
        Assert.Equal(0, client.EcnMarkedPacketsReceived);
        Assert.InRange(client.EcnMarkedPacketsSent, 1, 10); // the testing packets only
        Assert.InRange(server.EcnMarkedPacketsSent, 1, 10);
        Assert.Equal(0, client.InternalErrors);
    }

    [LinuxEcnFact]
    public async Task Ecn_off_on_one_side_sends_no_marks_but_still_echoes_the_peers()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var (client, server) = await EchoAsync(listener, cts.Token, configureClient: o => o.EnableEcn = false);

        Assert.Equal(0, client.EcnMarkedPacketsSent);
        Assert.Equal(0, server.EcnMarkedPacketsReceived);
        Assert.Equal(EcnValidationState.Failed, client.EcnState); // "off" reads as failed
        // RFC 9000 §13.4.1: the client reports what it reads even though it does not mark: the server validates.
        Assert.True(client.EcnMarkedPacketsReceived > 0);
        Assert.Equal(EcnValidationState.Capable, server.EcnState);
    }
}
