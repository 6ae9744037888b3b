using System.Net;
using System.Net.Sockets;
using Transport.Core.Udp;
using static Transport.Core.Tests.Udp.UdpTestSupport;
using Transport.Tests.Shared;

namespace Transport.Core.Tests.Udp;

/// <summary>ICMP errors, disposal, bad arguments and allocation.</summary>
public sealed class UdpRobustnessTests
{
    /// <summary>A loopback port nobody listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void Receive_loop_survives_icmp_port_unreachable(bool gro, bool portable)
    {
        // With IP_RECVERR, Linux reports the ICMP port unreachable of our send to a closed port as ConnectionRefused on
        // the next receive: exactly the error that must not stop the loop. (Windows reports it as ConnectionReset.)
        using var receiver = Open(IPAddress.Loopback, gro: gro, icmp: true, portable: portable);
        using var other = Open(IPAddress.Loopback);
        var checker = new CheckingReceiver(AddressOf(receiver, IPAddress.Loopback, other), 100);
        using var loop = receiver.StartReceiveLoop(checker);

        SocketAddress closed = receiver.CreateRemoteAddress(new IPEndPoint(IPAddress.Loopback, ClosedPort()));
        receiver.Send("anyone?"u8, closed);
        if (OperatingSystem.IsLinux())
            WaitUntil(() => receiver.IgnoredIcmpErrors >= 1, "the ICMP error to reach the receive loop");

        // A second burst of errors while traffic flows, then all traffic from the other sender must arrive.
        SocketAddress to = AddressOf(other, IPAddress.Loopback, receiver);
        byte[] buffer = new byte[1500];
        for (int i = 0; i < 100; i++)
        {
            if (i % 25 == 0) receiver.Send("anyone?"u8, closed);
            other.Send(buffer.AsSpan(0, Fill(buffer, i)), to);
        }
        checker.WaitFor(100);
        Assert.Empty(checker.Errors);
        Assert.Equal(0, checker.Missing());
        Assert.False(loop.Completion.IsCompleted);
    }

    [Fact]
    public void Sends_to_a_closed_port_do_not_throw()
    {
        using var socket = Open(IPAddress.Loopback, icmp: true);
        SocketAddress closed = socket.CreateRemoteAddress(new IPEndPoint(IPAddress.Loopback, ClosedPort()));
        byte[] train = new byte[1200 * 10];
        for (int i = 0; i < 20; i++)
        {
            socket.Send("x"u8, closed);
            socket.SendSegments(train, 1200, closed);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Dispose_stops_an_idle_receive_loop_promptly(bool gro)
    {
        var socket = Open(IPAddress.Loopback, gro: gro);
        using var sender = Open(IPAddress.Loopback);
        var checker = new CheckingReceiver(AddressOf(socket, IPAddress.Loopback, sender), 1);
        var loop = socket.StartReceiveLoop(checker);
        // One datagram through first, so the loop is past its start and (almost surely) blocked in the next receive.
        byte[] buffer = new byte[100];
        sender.Send(buffer.AsSpan(0, Fill(buffer, 0)), AddressOf(sender, IPAddress.Loopback, socket));
        checker.WaitFor(1);
        socket.Dispose();
        await loop.Completion.WaitAsync(WaitLimit); // TimeoutException if the loop did not end
        Assert.True(loop.Completion.IsCompletedSuccessfully);
        loop.Dispose(); // idempotent
    }

    [Fact]
    public async Task Disposing_the_loop_disposes_the_socket_and_ends_the_thread()
    {
        var socket = Open(IPAddress.Loopback);
        var loop = socket.StartReceiveLoop(new CheckingReceiver(AddressOf(socket, IPAddress.Loopback, socket), 1));
        loop.Dispose();
        await loop.Completion.WaitAsync(WaitLimit);
        Assert.Throws<ObjectDisposedException>(() => socket.Send("x"u8, socket.CreateRemoteAddress(new IPEndPoint(IPAddress.Loopback, 9))));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task Dispose_unblocks_a_blocking_receive(bool gro, bool portable)
    {
        var socket = Open(IPAddress.Loopback, gro: gro, portable: portable);
        var batch = socket.CreateBatch();
        using var started = new ManualResetEventSlim();
        var receiving = Task.Factory.StartNew(() => { started.Set(); return socket.Receive(batch); }, TaskCreationOptions.LongRunning);
        Assert.True(started.Wait(WaitLimit));
        // Dispose at any point (before or during the wait) must end the receive with ObjectDisposedException.
        socket.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => receiving.WaitAsync(WaitLimit));
    }

    [Fact]
    public async Task Dispose_from_the_receive_callback_ends_the_loop()
    {
        using var socket = Open(IPAddress.Loopback);
        using var sender = Open(IPAddress.Loopback);
        var receiver = new DisposingReceiver(socket);
        var loop = socket.StartReceiveLoop(receiver);
        sender.Send("bye"u8, AddressOf(sender, IPAddress.Loopback, socket));
        await loop.Completion.WaitAsync(WaitLimit); // disposing from the receive thread ends the loop, no deadlock
        Assert.Equal(1, receiver.Calls);
    }

    private sealed class DisposingReceiver(UdpDatagramSocket socket) : IDatagramReceiver
    {
        public int Calls;
        public void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress remote, DatagramMetadata metadata)
        {
            Calls++;
            socket.Dispose(); // from the loop's own thread: must not deadlock waiting for itself
        }
    }

    [Fact]
    public async Task Receiver_exception_faults_the_loop_completion()
    {
        using var socket = Open(IPAddress.Loopback);
        using var sender = Open(IPAddress.Loopback);
        var loop = socket.StartReceiveLoop(new ThrowingReceiver());
        sender.Send("boom"u8, AddressOf(sender, IPAddress.Loopback, socket));
        await Assert.ThrowsAsync<InvalidOperationException>(() => loop.Completion.WaitAsync(WaitLimit));
    }

    private sealed class ThrowingReceiver : IDatagramReceiver
    {
        public void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress remote, DatagramMetadata metadata)
            => throw new InvalidOperationException("receiver failed");
    }

    [Fact]
    public void Bad_arguments_throw_argument_exceptions_that_say_what_is_wrong()
    {
        using var v4 = Open(IPAddress.Loopback);
        SocketAddress v6 = new IPEndPoint(IPAddress.IPv6Loopback, 9).Serialize();
        var e = Assert.Throws<ArgumentException>(() => v4.Send("x"u8, v6));
        Assert.Contains("CreateRemoteAddress", e.Message);
        SocketAddress ok = v4.CreateRemoteAddress(new IPEndPoint(IPAddress.Loopback, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => v4.SendSegments(new byte[10], 0, ok));
        Assert.Throws<ArgumentOutOfRangeException>(() => v4.SendSegments(new byte[10], 65508, ok));
        Assert.Throws<ArgumentException>(() => v4.Send(new byte[65508], ok));
        Assert.Throws<ArgumentException>(() => v4.Receive(new DatagramBatch(AddressFamily.InterNetworkV6)));
        Assert.Throws<ArgumentException>(() => v4.CreateRemoteAddress(new IPEndPoint(IPAddress.IPv6Loopback, 9)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatagramBatch(AddressFamily.InterNetwork, 0));
        Assert.Throws<ArgumentException>(() => new UdpDatagramSocket(new UdpSocketOptions { ReceiveBufferSize = -1 }));
        Assert.Equal(0, v4.SendSegments(ReadOnlySpan<byte>.Empty, 1200, ok));
        var batch = v4.CreateBatch();
        Assert.Throws<ArgumentOutOfRangeException>(() => batch[0].Data.Length);
        if (Socket.OSSupportsIPv6)
        {
            using var v6Only = Open(IPAddress.IPv6Any, dualMode: false);
            Assert.Throws<ArgumentException>(() => v6Only.CreateRemoteAddress(new IPEndPoint(IPAddress.Loopback, 9)));
        }
    }

    [Fact]
    public void Buffer_sizes_are_applied()
    {
        using var socket = new UdpDatagramSocket(new UdpSocketOptions
        {
            LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            SendBufferSize = 256 * 1024,
            ReceiveBufferSize = 512 * 1024,
        });
        // The OS may round or (Linux) double the value, or cap it at its maximum; it never keeps the small default.
        Assert.True(socket.SendBufferSize >= Math.Min(256 * 1024, 200_000), $"send buffer {socket.SendBufferSize}");
        Assert.True(socket.ReceiveBufferSize >= Math.Min(512 * 1024, 200_000), $"receive buffer {socket.ReceiveBufferSize}");
    }

    [Theory]
    [InlineData(true, true, false)]
    [InlineData(false, false, false)]
    [InlineData(false, false, true)]
    public void Steady_state_send_and_receive_allocate_nothing_per_datagram(bool gso, bool gro, bool portable)
    {
        using var receiver = Open(IPAddress.Loopback, gro: gro, portable: portable);
        using var sender = Open(IPAddress.Loopback, gso: gso, portable: portable);
        SocketAddress to = AddressOf(sender, IPAddress.Loopback, receiver);
        var batch = receiver.CreateBatch(64);
        byte[] datagram = new byte[1200];
        byte[] train = new byte[1200 * 32];

        void Round()
        {
            for (int i = 0; i < 32; i++) sender.Send(datagram, to);
            sender.SendSegments(train, 1200, to);
            int got = 0;
            while (got < 64) got += ReceiveBoundedNoAlloc(receiver, batch);
        }

        // Warm up (JIT tiers, lazy socket state), then the fewest bytes allocated in any of several windows.
        const int rounds = 100;
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(Round, warmupRounds: 200, measuredRounds: rounds);
        Assert.True(allocated < rounds * 64, $"{allocated} bytes allocated for {rounds * 64} datagrams sent and received");
    }

    /// <summary>Receive without the watchdog's allocations; safe because the datagrams were sent before.</summary>
    private static int ReceiveBoundedNoAlloc(UdpDatagramSocket socket, DatagramBatch batch) => socket.Receive(batch);
}
