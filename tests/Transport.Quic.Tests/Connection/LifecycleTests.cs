using Transport.Core.Simulation;
using Transport.Quic.Connection;

namespace Transport.Quic.Tests.Connection;

public class LifecycleTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Handshake_completes_when_any_one_of_the_first_datagrams_is_lost(int lostIndex)
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(bigFlight: true));
        pair.Drop = (_, index) => index == lostIndex;
        Assert.True(pair.CompleteHandshake());
        Assert.False(pair.AmplificationViolated);
        // And the connection works afterwards.
        var app = new TransferApp(pair, 20_000);
        app.OpenStreams(2);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
    }

    [Fact]
    public void Idle_timeout_closes_both_sides()
    {
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => o.IdleTimeout = TimeSpan.FromSeconds(2)),
            ConnectionPair.ServerOptions(o => o.IdleTimeout = TimeSpan.FromSeconds(5)));
        Assert.True(pair.CompleteHandshake());
        var start = pair.Now;
        Assert.True(pair.RunUntil(() => pair.Client.IsTerminated && pair.Server.IsTerminated, 10_000));
        Assert.Contains(pair.ClientEvents, e => e is { Kind: ConnectionEventKind.Closed, CloseSource: ConnectionCloseSource.IdleTimeout });
        Assert.Contains(pair.ServerEvents, e => e is { Kind: ConnectionEventKind.Closed, CloseSource: ConnectionCloseSource.IdleTimeout });
        // RFC 9000 §10.1: the smaller of the two timeouts applies (2 s; at least 3 PTO).
        Assert.InRange((pair.Now - start).TotalSeconds, 1.9, 3.5);
    }

    [Fact]
    public void Keep_alive_prevents_the_idle_timeout()
    {
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => { o.IdleTimeout = TimeSpan.FromSeconds(2); o.KeepAliveInterval = TimeSpan.FromMilliseconds(500); }),
            ConnectionPair.ServerOptions(o => o.IdleTimeout = TimeSpan.FromSeconds(2)));
        Assert.True(pair.CompleteHandshake());
        pair.RunFor(TimeSpan.FromSeconds(10), 100_000);
        Assert.False(pair.Client.IsClosed);
        Assert.False(pair.Server.IsClosed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Application_close_code_and_reason_reach_the_peer(bool clientCloses)
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        var closer = clientCloses ? pair.Client : pair.Server;
        closer.Close(0x1234, "going away");
        Assert.True(pair.RunUntil(() => pair.Client.IsTerminated && pair.Server.IsTerminated, 10_000));
        var peerEvents = clientCloses ? pair.ServerEvents : pair.ClientEvents;
        var localEvents = clientCloses ? pair.ClientEvents : pair.ServerEvents;
        var closed = Assert.Single(peerEvents, e => e.Kind == ConnectionEventKind.Closed);
        Assert.Equal(ConnectionCloseSource.Peer, closed.CloseSource);
        Assert.True(closed.IsApplicationError);
        Assert.Equal(0x1234UL, closed.ErrorCode);
        Assert.Equal("going away", closed.Reason);
        Assert.Contains(localEvents, e => e is { Kind: ConnectionEventKind.Closed, CloseSource: ConnectionCloseSource.Local });
        Assert.Contains(localEvents, e => e.Kind == ConnectionEventKind.Terminated);
        Assert.Contains(peerEvents, e => e.Kind == ConnectionEventKind.Terminated);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Malformed_frame_closes_with_frame_encoding_error_both_ways(bool clientMisbehaves)
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        var bad = clientMisbehaves ? pair.Client : pair.Server;
        bad.SendRawFrameForTesting([0x21]); // an unknown frame type (RFC 9000 §12.4: FRAME_ENCODING_ERROR)
        Assert.True(pair.RunUntil(() => pair.Client.IsTerminated && pair.Server.IsTerminated, 10_000));
        var victimEvents = clientMisbehaves ? pair.ServerEvents : pair.ClientEvents;
        var culpritEvents = clientMisbehaves ? pair.ClientEvents : pair.ServerEvents;
        var local = Assert.Single(victimEvents, e => e.Kind == ConnectionEventKind.Closed);
        Assert.True(local.CloseSource == ConnectionCloseSource.LocalTransportError, local.ToString());
        Assert.Equal((ulong)TransportErrorCode.FrameEncodingError, local.ErrorCode);
        var remote = Assert.Single(culpritEvents, e => e.Kind == ConnectionEventKind.Closed);
        Assert.Equal(ConnectionCloseSource.Peer, remote.CloseSource);
        Assert.False(remote.IsApplicationError);
        Assert.Equal((ulong)TransportErrorCode.FrameEncodingError, remote.ErrorCode);
    }

    [Fact]
    public void Stream_data_on_a_send_only_stream_closes_with_stream_state_error()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.Client.TryOpenStream(bidirectional: false, out long uni)); // client uni stream 2: the server may not send on it
        pair.Server.SendRawFrameForTesting([0x0a, (byte)uni, 0x01, 0xff]); // STREAM with LEN, 1 byte
        Assert.True(pair.RunUntil(() => pair.Client.IsClosed && pair.Server.IsClosed, 10_000));
        var closed = Assert.Single(pair.ClientEvents, e => e.Kind == ConnectionEventKind.Closed);
        Assert.Equal((ulong)TransportErrorCode.StreamStateError, closed.ErrorCode);
    }

    [Fact]
    public void Random_bytes_never_throw_and_never_complete_a_connection()
    {
        var rng = new Random(5);
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        for (int i = 0; i < 500; i++)
        {
            var junk = new byte[rng.Next(1, 1500)];
            rng.NextBytes(junk);
            if (i % 3 == 0) junk[0] = (byte)(0xc0 | (junk[0] & 0x0f)); // long header Initial-ish
            pair.Server.HandleDatagram(pair.Now, ConnectionPair.ClientAddress, junk);
            pair.Client.HandleDatagram(pair.Now, ConnectionPair.ServerAddress, junk);
        }
        Assert.False(pair.Server.IsHandshakeComplete);
        Assert.True(pair.Server.GetStatistics().PacketsDropped > 0);
        // The real handshake still completes afterwards.
        Assert.True(pair.CompleteHandshake());
    }
}
