using System.Net;
using System.Net.Sockets;
using Transport.Core.Udp;
using static Transport.Core.Tests.Udp.UdpTestSupport;

namespace Transport.Core.Tests.Udp;

/// <summary>GSO trains and GRO coalescing over loopback.</summary>
public sealed class UdpBatchingTests
{
    /// <summary>A train of <paramref name="segments"/> datagrams of <paramref name="segmentSize"/> bytes plus a short tail.</summary>
    private static byte[] Train(int firstSequence, int segments, int segmentSize, int tail)
    {
        byte[] train = new byte[segments * segmentSize + tail];
        for (int i = 0; i < segments; i++)
            FillExact(train.AsSpan(i * segmentSize, segmentSize), firstSequence + i);
        if (tail > 0) FillExact(train.AsSpan(segments * segmentSize, tail), firstSequence + segments);
        return train;
    }

    private static void FillExact(Span<byte> datagram, int sequence)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(datagram, sequence);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(datagram[4..], datagram.Length);
        for (int i = 8; i < datagram.Length; i++) datagram[i] = (byte)(sequence * 31 + i);
    }

    [LinuxFact]
    public void Gso_and_gro_are_available_on_this_linux_kernel()
    {
        // Both arrived in Linux 4.18 / 5.0; a kernel this old is not worth supporting at full speed.
        using var socket = Open(IPAddress.Loopback);
        if (Environment.OSVersion.Version < new Version(5, 0)) return;
        Assert.True(socket.IsGsoEnabled, "UDP_SEGMENT probe failed");
        Assert.True(socket.IsGroEnabled, "UDP_GRO setsockopt failed");
    }

    [Fact]
    public void Disabled_offloads_stay_off()
    {
        using var socket = Open(IPAddress.Loopback, gso: false, gro: false);
        Assert.False(socket.IsGsoEnabled);
        Assert.False(socket.IsGroEnabled);
    }

    [Theory]
    [InlineData(true, true, false)]    // GSO train, GRO receive: few messages, split back into datagrams
    [InlineData(true, false, false)]   // GSO train, plain receive (recvmmsg): the kernel segments it
    [InlineData(false, true, false)]   // sendmmsg of the train, GRO receive
    [InlineData(false, false, false)]  // sendmmsg, recvmmsg without GRO
    [InlineData(false, false, true)]   // portable: one send and one receive per datagram
    public void Segment_trains_arrive_as_separate_intact_datagrams(bool gso, bool gro, bool portable)
    {
        using var receiver = Open(IPAddress.Loopback, gro: gro, portable: portable);
        using var sender = Open(IPAddress.Loopback, gso: gso, portable: portable);
        SocketAddress to = AddressOf(sender, IPAddress.Loopback, receiver);
        SocketAddress expectedFrom = AddressOf(receiver, IPAddress.Loopback, sender);
        const int segmentSize = 1200, trains = 20, perTrain = 100; // 100 segments: more than one GSO call each
        var batch = receiver.CreateBatch(64);
        int received = 0, messages = 0;
        for (int t = 0; t < trains; t++)
        {
            int first = t * (perTrain + 1);
            byte[] train = Train(first, perTrain, segmentSize, tail: 300);
            Assert.Equal(perTrain + 1, sender.SendSegments(train, segmentSize, to));
            int expectedInTrain = perTrain + 1, gotInTrain = 0;
            while (gotInTrain < expectedInTrain)
            {
                int n = ReceiveBounded(receiver, batch);
                messages += batch.MessageCount;
                for (int i = 0; i < n; i++)
                {
                    ReceivedDatagram d = batch[i];
                    Assert.Equal(first + gotInTrain, Check(d.Data)); // in order, intact, right boundaries
                    Assert.Equal(gotInTrain == perTrain ? 300 : segmentSize, d.Data.Length);
                    Assert.True(d.Remote.Equals(expectedFrom));
                    if (d.Metadata.SegmentSize != 0) Assert.Equal(segmentSize, d.Metadata.SegmentSize);
                    gotInTrain++;
                }
            }
            received += gotInTrain;
        }
        Assert.Equal(trains * (perTrain + 1), received);
        if (gso && gro && sender.IsGsoEnabled && receiver.IsGroEnabled)
            Assert.True(messages <= trains * 4, $"GRO should deliver each GSO call as one message; got {messages} messages for {received} datagrams");
        if (!gro || !gso)
            Assert.Equal(received, messages); // no coalescing without both
    }

    [LinuxFact]
    public void Gro_reports_the_segment_boundaries_of_one_gso_send()
    {
        using var receiver = Open(IPAddress.Loopback, gro: true);
        using var sender = Open(IPAddress.Loopback, gso: true);
        Assert.True(sender.IsGsoEnabled && receiver.IsGroEnabled, "this test needs GSO and GRO (Linux 5.0+)");
        SocketAddress to = AddressOf(sender, IPAddress.Loopback, receiver);
        byte[] train = Train(0, 10, 1000, tail: 500);
        Assert.Equal(11, sender.SendSegments(train, 1000, to));

        var batch = receiver.CreateBatch();
        int n = ReceiveBounded(receiver, batch);
        Assert.Equal(1, batch.MessageCount);
        Assert.Equal(11, n);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(i, Check(batch[i].Data));
            Assert.Equal(i < 10 ? 1000 : 500, batch[i].Data.Length);
            Assert.Equal(1000, batch[i].Metadata.SegmentSize);
        }
        Assert.True(sender.IsGsoEnabled);
    }

    [IPv6LoopbackFact]
    public void Gso_train_with_an_ipv6_dual_mode_sender_reaches_an_ipv4_receiver()
    {
        using var receiver = Open(IPAddress.Loopback, gro: true);
        using var sender = Open(IPAddress.IPv6Any, gso: true, dualMode: true);
        SocketAddress to = AddressOf(sender, IPAddress.Loopback, receiver); // IPv4-mapped
        byte[] train = Train(0, 30, 1200, tail: 0);
        Assert.Equal(30, sender.SendSegments(train, 1200, to));
        var batch = receiver.CreateBatch();
        int got = 0;
        while (got < 30)
        {
            int n = ReceiveBounded(receiver, batch);
            for (int i = 0; i < n; i++, got++) Assert.Equal(got, Check(batch[i].Data));
        }
        if (OperatingSystem.IsLinux()) Assert.True(sender.IsGsoEnabled); // GSO to an IPv4-mapped address works too
    }

    [LinuxFact]
    public void Gso_rejected_by_the_kernel_falls_back_to_plain_sends_without_losing_the_train()
    {
        using var receiver = Open(IPAddress.Loopback, gro: true);
        using var sender = Open(IPAddress.Loopback, gso: true);
        Assert.True(sender.IsGsoEnabled, "this test needs GSO (Linux 4.18+)");
        sender.GsoSegmentLimit = 300; // beyond every kernel's UDP_MAX_SEGMENTS (64, or 128 since 6.x): sendmsg fails with EINVAL
        SocketAddress to = AddressOf(sender, IPAddress.Loopback, receiver);
        byte[] train = Train(0, 300, 100, tail: 0);
        Assert.Equal(300, sender.SendSegments(train, 100, to));
        Assert.False(sender.IsGsoEnabled);
        Assert.Equal(SocketError.InvalidArgument, sender.GsoFallbackReason);

        var batch = receiver.CreateBatch(64);
        int got = 0;
        while (got < 300)
        {
            int n = ReceiveBounded(receiver, batch);
            for (int i = 0; i < n; i++, got++) Assert.Equal(got, Check(batch[i].Data));
        }

        // Later trains go out plainly, still intact.
        Assert.Equal(300, sender.SendSegments(Train(300, 300, 100, tail: 0), 100, to));
        while (got < 600)
        {
            int n = ReceiveBounded(receiver, batch);
            for (int i = 0; i < n; i++, got++) Assert.Equal(got, Check(batch[i].Data));
        }
    }

    [IPv6LoopbackFact]
    public void Ipv6_gso_train_is_coalesced_by_gro_and_split_back()
    {
        using var receiver = Open(IPAddress.IPv6Loopback, gro: true, dualMode: false);
        using var sender = Open(IPAddress.IPv6Loopback, gso: true, dualMode: false);
        SocketAddress to = AddressOf(sender, IPAddress.IPv6Loopback, receiver);
        SocketAddress expectedFrom = AddressOf(receiver, IPAddress.IPv6Loopback, sender);
        byte[] train = Train(0, 40, 1280, tail: 77);
        Assert.Equal(41, sender.SendSegments(train, 1280, to));
        var batch = receiver.CreateBatch();
        int got = 0, messages = 0;
        while (got < 41)
        {
            int n = ReceiveBounded(receiver, batch);
            messages += batch.MessageCount;
            for (int i = 0; i < n; i++, got++)
            {
                Assert.Equal(got, Check(batch[i].Data));
                Assert.True(batch[i].Remote.Equals(expectedFrom));
            }
        }
        if (OperatingSystem.IsLinux() && sender.IsGsoEnabled && receiver.IsGroEnabled)
            Assert.Equal(1, messages);
    }

    [LinuxFact]
    public void Portable_path_is_used_when_asked()
    {
        using var socket = Open(IPAddress.Loopback, portable: true);
        Assert.False(socket.IsBatchingEnabled);
        Assert.False(socket.IsGsoEnabled);
        Assert.False(socket.IsGroEnabled);
        using var plain = Open(IPAddress.Loopback, gso: false, gro: false);
        Assert.True(plain.IsBatchingEnabled); // recvmmsg and sendmmsg need no offload
    }

    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)] // recvmmsg without GRO: still many datagrams per call
    public void Batched_receive_returns_many_datagrams_per_call(bool gro)
    {
        using var receiver = Open(IPAddress.Loopback, gro: gro);
        using var sender = Open(IPAddress.Loopback, gso: false);
        SocketAddress to = AddressOf(sender, IPAddress.Loopback, receiver);
        byte[] buffer = new byte[1500];
        for (int i = 0; i < 50; i++) sender.Send(buffer.AsSpan(0, Fill(buffer, i)), to);
        var batch = receiver.CreateBatch(64);
        int got = 0, calls = 0;
        while (got < 50)
        {
            int n = ReceiveBounded(receiver, batch);
            calls++;
            for (int i = 0; i < n; i++, got++) Assert.Equal(got, Check(batch[i].Data));
        }
        Assert.True(calls < 50, $"recvmmsg should take several queued datagrams per call; took {calls} calls for 50");
    }

    [LinuxFact]
    public void A_datagram_larger_than_the_slot_is_counted_and_skipped()
    {
        // recvmmsg flags it MSG_TRUNC: the batch drops it and counts it, and the datagrams around it arrive.
        using var receiver = Open(IPAddress.Loopback, gro: false);
        using var sender = Open(IPAddress.Loopback, gso: false);
        SocketAddress to = AddressOf(sender, IPAddress.Loopback, receiver);
        byte[] buffer = new byte[1500];
        sender.Send(buffer.AsSpan(0, Fill(buffer, 0)), to);  // 8 bytes
        sender.Send(new byte[300], to);                      // too big for a 100-byte slot
        sender.Send(buffer.AsSpan(0, Fill(buffer, 11)), to); // under 100 bytes
        var batch = new DatagramBatch(receiver.AddressFamily, messageCapacity: 8, messageSize: 100);
        var sequences = new List<int>();
        while (sequences.Count < 2)
        {
            int n = ReceiveBounded(receiver, batch);
            for (int i = 0; i < n; i++) sequences.Add(Check(batch[i].Data));
        }
        Assert.Equal([0, 11], sequences);
        Assert.Equal(1, batch.TruncatedMessages);
    }

    [LinuxFact]
    public void Sendmmsg_train_with_a_short_tail_and_more_than_one_call_arrives_intact()
    {
        // Without GSO a train goes out through sendmmsg, 64 datagrams per call: 150 + a tail is three calls.
        using var receiver = Open(IPAddress.Loopback, gro: false);
        using var sender = Open(IPAddress.Loopback, gso: false);
        SocketAddress to = AddressOf(sender, IPAddress.Loopback, receiver);
        SocketAddress expectedFrom = AddressOf(receiver, IPAddress.Loopback, sender);
        Assert.Equal(151, sender.SendSegments(Train(0, 150, 500, tail: 33), 500, to));
        var batch = receiver.CreateBatch(64);
        int got = 0;
        while (got < 151)
        {
            int n = ReceiveBounded(receiver, batch);
            for (int i = 0; i < n; i++, got++)
            {
                Assert.Equal(got, Check(batch[i].Data));
                Assert.Equal(got == 150 ? 33 : 500, batch[i].Data.Length);
                Assert.True(batch[i].Remote.Equals(expectedFrom));
                Assert.Equal(0, batch[i].Metadata.SegmentSize);
            }
        }
        Assert.Equal(151, got);
    }

    [LinuxTheory]
    [InlineData(true)]
    [InlineData(false)] // the TOS byte comes with recvmmsg whether or not GRO is on
    public void Type_of_service_byte_is_reported_when_asked(bool gro)
    {
        using var receiver = Open(IPAddress.Loopback, gro: gro, tos: true);
        using var sender = Open(IPAddress.Loopback);
        sender.Socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, 0b10); // ECT(0)
        sender.Send("ecn"u8, AddressOf(sender, IPAddress.Loopback, receiver));
        var batch = receiver.CreateBatch();
        Assert.Equal(1, ReceiveBounded(receiver, batch));
        Assert.True(batch[0].Metadata.HasTypeOfService);
        Assert.Equal(0b10, batch[0].Metadata.EcnCodepoint);
    }
}
