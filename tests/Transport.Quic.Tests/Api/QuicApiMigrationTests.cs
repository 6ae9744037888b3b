using System.Net;

namespace Transport.Quic.Tests.Api;

/// <summary>The server's preferred address (RFC 9000 §9.6) and client active migration (§9.2) through the public API, over loopback.</summary>
public class QuicApiMigrationTests
{
    /// <summary>Echoes <paramref name="length"/> bytes on a new stream of <paramref name="client"/> and checks them.</summary>
    private static async Task Echo(QuicConnection client, int length, int seed, CancellationToken ct)
    {
        byte[] payload = ApiTest.Random(length, seed);
        await using var stream = await client.OpenOutboundStreamAsync(bidirectional: true, ct);
        var read = Task.Run(() => ApiTest.ReadToEnd(stream, ct), ct);
        await stream.WriteAsync(payload, ct);
        stream.CompleteWrites();
        byte[] echoed = await read;
        Assert.True(payload.AsSpan().SequenceEqual(echoed), "echoed bytes differ");
    }

    /// <summary>Waits (bounded by <paramref name="ct"/>) until <paramref name="condition"/> holds; the connection works in the background.</summary>
    private static async Task WaitUntil(Func<bool> condition, CancellationToken ct)
    {
        while (!condition()) await Task.Delay(5, ct);
    }

    [Fact]
    public async Task A_client_follows_the_listeners_preferred_address_and_the_server_then_sends_from_it()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(configure: o => o.PreferredAddress = new IPEndPoint(IPAddress.Loopback, 0), ct: cts.Token);
        IPEndPoint preferred = listener.PreferredEndPoint!;
        Assert.NotEqual(0, preferred.Port);
        Assert.NotEqual(listener.LocalEndPoint.Port, preferred.Port);
        QuicConnection? server = null;
        var serverTask = Task.Run(async () =>
        {
            server = await listener.AcceptConnectionAsync(cts.Token);
            await ApiTest.EchoStreams(server, cts.Token);
        });

        await using var client = await ApiTest.Connect(listener, cts.Token);
        await Echo(client, 512 << 10, 1, cts.Token);
        await WaitUntil(() => client.RemoteEndPoint.Equals(preferred), cts.Token);
        await Echo(client, 512 << 10, 2, cts.Token); // data flows on the new path
        await WaitUntil(() => server is not null && server.LocalEndPoint.Equals(preferred), cts.Token);
        Assert.Equal(client.LocalEndPoint.Port, server!.RemoteEndPoint.Port);
        await client.CloseAsync(0, cts.Token);
        await serverTask.WaitAsync(cts.Token);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task A_client_that_does_not_follow_preferred_addresses_stays()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(configure: o => o.PreferredAddress = new IPEndPoint(IPAddress.Loopback, 0), ct: cts.Token);
        var serverTask = Task.Run(async () =>
        {
            await using var server = await listener.AcceptConnectionAsync(cts.Token);
            await ApiTest.EchoStreams(server, cts.Token);
        });
        await using var client = await ApiTest.Connect(listener, cts.Token, o => o.FollowPreferredAddress = false);
        await Echo(client, 256 << 10, 3, cts.Token);
        await Echo(client, 1000, 4, cts.Token);
        Assert.Equal(listener.LocalEndPoint.Port, client.RemoteEndPoint.Port);
        await client.CloseAsync(0, cts.Token);
        await serverTask.WaitAsync(cts.Token);
    }

    [Fact]
    public async Task MigrateAsync_moves_the_client_to_a_new_local_socket_and_the_server_follows()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        QuicConnection? server = null;
        var serverTask = Task.Run(async () =>
        {
            server = await listener.AcceptConnectionAsync(cts.Token);
            await ApiTest.EchoStreams(server, cts.Token);
        });
        await using var client = await ApiTest.Connect(listener, cts.Token);
        await Echo(client, 64 << 10, 5, cts.Token); // the handshake is confirmed and spare connection IDs arrived
        IPEndPoint before = client.LocalEndPoint;
        Assert.True(await client.MigrateAsync(new IPEndPoint(IPAddress.Loopback, 0), cts.Token));
        Assert.NotEqual(before.Port, client.LocalEndPoint.Port);
        await Echo(client, 256 << 10, 6, cts.Token);
        await WaitUntil(() => server is not null && server.RemoteEndPoint.Port == client.LocalEndPoint.Port, cts.Token);
        await client.CloseAsync(0, cts.Token);
        await serverTask.WaitAsync(cts.Token);
        await server!.DisposeAsync();
    }

    [Fact]
    public async Task MigrateAsync_is_refused_on_a_server_and_when_the_server_disables_migration()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(o => o.DisableActiveMigration = true, ct: cts.Token);
        var accept = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await ApiTest.Connect(listener, cts.Token);
        await using var server = await accept;
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.MigrateAsync(new IPEndPoint(IPAddress.Loopback, 0), cts.Token).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.MigrateAsync(new IPEndPoint(IPAddress.Loopback, 0), cts.Token).AsTask());
    }

    [Fact]
    public async Task A_wildcard_preferred_address_without_an_advertised_one_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => ApiTest.Listen(configure: o => o.PreferredAddress = new IPEndPoint(IPAddress.Any, 0)).AsTask());
    }
}
