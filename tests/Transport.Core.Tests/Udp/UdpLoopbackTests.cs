using System.Net;
using System.Net.Sockets;
using Transport.Core.Udp;
using static Transport.Core.Tests.Udp.UdpTestSupport;

namespace Transport.Core.Tests.Udp;

/// <summary>Many datagrams over real loopback sockets, through the receive loop, content and sender checked.</summary>
public sealed class UdpLoopbackTests
{
    private const int Count = 10_000;
    private const int Window = 200; // datagrams in flight: far below the receive buffer, so loopback drops nothing

    /// <summary>Sends <see cref="Count"/> datagrams from <paramref name="sender"/> and checks all arrive at <paramref name="receiver"/>.</summary>
    /// <remarks>Disposing the receive loop at the end disposes <paramref name="receiver"/>; <paramref name="whileRunning"/> runs before.</remarks>
    private static CheckingReceiver Transfer(UdpDatagramSocket sender, UdpDatagramSocket receiver, IPAddress target, IPAddress expectedSource,
        Action? whileRunning = null)
    {
        var expectedRemote = receiver.CreateRemoteAddress(new IPEndPoint(expectedSource, sender.LocalEndPoint.Port));
        var checker = new CheckingReceiver(expectedRemote, Count);
        using var loop = receiver.StartReceiveLoop(checker);
        SocketAddress to = AddressOf(sender, target, receiver);
        byte[] buffer = new byte[1500];
        for (int sent = 0; sent < Count;)
        {
            int end = Math.Min(Count, sent + Window);
            for (; sent < end; sent++)
                sender.Send(buffer.AsSpan(0, Fill(buffer, sent)), to);
            checker.WaitFor(sent);
        }
        Assert.Empty(checker.Errors);
        Assert.Equal(0, checker.Missing());
        Assert.Equal(Count, checker.Received);
        Assert.Equal(Count, loop.DatagramsReceived);
        whileRunning?.Invoke();
        return checker;
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)] // recvmmsg without GRO on Linux
    [InlineData(false, true)]  // the portable one-datagram-per-call path
    public void Ipv4_many_datagrams_arrive_intact_with_their_sender(bool gro, bool portable)
    {
        using var receiver = Open(IPAddress.Loopback, gro: gro, portable: portable);
        using var sender = Open(IPAddress.Loopback, gro: gro, portable: portable);
        Assert.Equal(AddressFamily.InterNetwork, receiver.AddressFamily);
        Transfer(sender, receiver, IPAddress.Loopback, IPAddress.Loopback);
    }

    [IPv6LoopbackFact]
    public void Ipv6_many_datagrams_arrive_intact_with_their_sender_batched()
    {
        using var receiver = Open(IPAddress.IPv6Loopback, dualMode: false);
        using var sender = Open(IPAddress.IPv6Loopback, dualMode: false);
        Assert.Equal(AddressFamily.InterNetworkV6, receiver.AddressFamily);
        Transfer(sender, receiver, IPAddress.IPv6Loopback, IPAddress.IPv6Loopback);
    }

    [IPv6LoopbackFact]
    public void Ipv6_many_datagrams_arrive_intact_with_their_sender_plain()
    {
        using var receiver = Open(IPAddress.IPv6Loopback, gro: false, gso: false, dualMode: false);
        using var sender = Open(IPAddress.IPv6Loopback, gro: false, gso: false, dualMode: false);
        Transfer(sender, receiver, IPAddress.IPv6Loopback, IPAddress.IPv6Loopback);
    }

    [IPv6LoopbackTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Dual_stack_socket_receives_from_an_ipv4_peer_and_answers_it(bool gro)
    {
        using var receiver = Open(IPAddress.IPv6Any, gro: gro, dualMode: true);
        using var sender = Open(IPAddress.Loopback, gro: gro);
        Assert.Equal(AddressFamily.InterNetworkV6, receiver.AddressFamily);

        // The IPv4 peer appears as ::ffff:127.0.0.1, and the dual-mode socket can answer it at that mapped address.
        Transfer(sender, receiver, IPAddress.Loopback, IPAddress.Loopback, () => Answer(receiver, sender));
    }

    private static void Answer(UdpDatagramSocket receiver, UdpDatagramSocket sender)
    {
        SocketAddress back = receiver.CreateRemoteAddress(new IPEndPoint(IPAddress.Loopback, sender.LocalEndPoint.Port));
        Assert.True(UdpDatagramSocket.ToIPEndPoint(back).Address.IsIPv4MappedToIPv6);
        receiver.Send("pong"u8, back);
        var batch = sender.CreateBatch();
        Assert.Equal(1, ReceiveBounded(sender, batch));
        Assert.Equal("pong"u8.ToArray(), batch[0].Data.ToArray());
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, receiver.LocalEndPoint.Port), UdpDatagramSocket.ToIPEndPoint(batch[0].Remote));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task Async_send_and_receive_round_trip(bool gro, bool portable)
    {
        using var a = Open(IPAddress.Loopback, gro: gro, portable: portable);
        using var b = Open(IPAddress.Loopback, gro: gro, portable: portable);
        SocketAddress toB = AddressOf(a, IPAddress.Loopback, b);
        var batch = b.CreateBatch();
        using var cts = new CancellationTokenSource(WaitLimit);
        byte[] buffer = new byte[1500];
        int received = 0;
        for (int round = 0; round < 20; round++)
        {
            ValueTask<int> pending = b.ReceiveAsync(batch, cts.Token); // may wait before anything is sent
            for (int i = 0; i < 5; i++)
            {
                int sequence = round * 5 + i;
                await a.SendAsync(buffer.AsMemory(0, Fill(buffer, sequence)), toB, cts.Token);
            }
            int n = await pending;
            while (true)
            {
                for (int i = 0; i < n; i++)
                {
                    Assert.Equal(received, Check(batch[i].Data));
                    Assert.Equal(new IPEndPoint(IPAddress.Loopback, a.LocalEndPoint.Port), UdpDatagramSocket.ToIPEndPoint(batch[i].Remote));
                    received++;
                }
                if (received == (round + 1) * 5) break;
                n = await b.ReceiveAsync(batch, cts.Token);
            }
        }
        Assert.Equal(100, received);
    }

    [Fact]
    public async Task Async_receive_is_cancelled_by_its_token()
    {
        using var socket = Open(IPAddress.Loopback);
        using var cts = new CancellationTokenSource();
        ValueTask<int> pending = socket.ReceiveAsync(socket.CreateBatch(), cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
    }
}
