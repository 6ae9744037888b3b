using Transport.Quic.Tests.Connection;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Api;

/// <summary>
/// Issue 7 (at most 16 KiB per idle connection, the core included): what the public <see cref="QuicConnection"/> keeps
/// on top of its core and endpoint. The stream map, the signals, the one-shot results and the queues' storage are
/// created on first use, so an idle connection keeps a few hundred bytes here (3 KiB with channels and completion
/// sources made up front).
/// </summary>
public class QuicApiFootprintTests(ITestOutputHelper output)
{
    private const long ApiBudgetBytes = 512;

    [Fact]
    public async Task An_idle_connection_keeps_little_beyond_its_core()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(o => o.ServerTls!.SessionTicketKeys = new Transport.Quic.Tls.TlsSessionTicketKeys());
        await using var client = await ApiTest.Connect(listener, cts.Token);
        await using var server = await listener.AcceptConnectionAsync(cts.Token);
        // A server application waits for streams and a client for its ticket, as real ones do; nothing arrives.
        var accept = server.AcceptInboundStreamAsync(cts.Token).AsTask();
        var ticket = await client.WaitForSessionTicketAsync(cts.Token); // the core keeps it (SessionTicket)
        foreach (var (name, c) in new[] { ("server", server), ("client", client) })
        {
            var seen = new HashSet<object>(ReferenceEqualityComparer.Instance) { c.Core, c.Pump, ticket };
            // What the waiting application holds (its async state machines, the cancellation registration) is its own.
            if (Field(Field(c, "_inbound"), "_waiter") is TaskCompletionSource waiter && Field(waiter.Task, "m_continuationObject") is { } continuation)
                seen.Add(continuation);
            var (bytes, breakdown) = ObjectGraphSize.Describe(c, seen, depth: 3, threshold: 0);
            output.WriteLine($"{name} {breakdown}");
            Assert.True(bytes <= ApiBudgetBytes, $"an idle {name} QuicConnection keeps {bytes} B beyond its core, over {ApiBudgetBytes} B:\n{breakdown}");
        }
        Assert.False(accept.IsCompleted);
        await client.CloseAsync(0);
        await Assert.ThrowsAsync<QuicException>(() => accept);
    }

    private static object? Field(object? o, string name) =>
        o?.GetType().GetField(name, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)?.GetValue(o);

    [Fact]
    public async Task A_stream_opened_before_the_first_accept_is_not_lost()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen();
        await using var client = await ApiTest.Connect(listener, cts.Token);
        await using var server = await listener.AcceptConnectionAsync(cts.Token);
        await using var stream = await client.OpenOutboundStreamAsync(bidirectional: true, cts.Token);
        await stream.WriteAsync(new byte[] { 1, 2, 3 }, cts.Token);
        stream.CompleteWrites();
        await using var inbound = await server.AcceptInboundStreamAsync(cts.Token);
        Assert.Equal(stream.Id, inbound.Id);
        Assert.Equal(new byte[] { 1, 2, 3 }, await ApiTest.ReadToEnd(inbound, cts.Token));
    }
}
