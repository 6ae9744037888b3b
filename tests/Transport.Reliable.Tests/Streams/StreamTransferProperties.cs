using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Time;
using Transport.Reliable.FlowControl;
using Transport.Reliable.Streams;

namespace Transport.Reliable.Tests.Streams;

/// <summary>
/// Send buffer, receive buffer and flow control together over a generated lossy, reordering, duplicating channel,
/// in virtual time: every byte arrives once and in order, with FIN, and no flow-control limit is ever broken.
/// </summary>
public class StreamTransferProperties
{
    public sealed record Network(int Length, int LossPercent, int DuplicatePercent, int MaxDelayRounds, int StreamWindow, int ConnectionWindow, int MaxWindow, int Seed);

    private sealed record Packet(int DeliverAtRound, StreamSegment Segment, byte[] Bytes);

    private static readonly Gen<Network> Networks =
        from length in Gen.Choose(0, 60_000)
        from loss in Gen.Choose(0, 30)
        from dup in Gen.Choose(0, 20)
        from delay in Gen.Choose(0, 4)
        from streamWindow in Gen.Choose(1, 20_000)
        from connectionWindow in Gen.Choose(1, 20_000)
        from extra in Gen.Choose(0, 100_000)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Network(length, loss, dup, delay, streamWindow, connectionWindow, Math.Max(streamWindow, connectionWindow) + extra, seed);

    [Fact]
    public void Every_byte_arrives_once_in_order_within_flow_control_limits() =>
        Prop.ForAll(Networks.ToArbitrary(), Transfer).Check(Config.QuickThrowOnFailure.WithMaxTest(100));

    [Fact]
    public void Transfer_with_loss_duplication_and_fin_alone() =>
        Transfer(new Network(Length: 272, LossPercent: 25, DuplicatePercent: 18, MaxDelayRounds: 1, StreamWindow: 19315, ConnectionWindow: 3904, MaxWindow: 21218, Seed: 882208678));

    private static void Transfer(Network n)
    {
        {
            var rng = new Random(n.Seed);
            var data = new byte[n.Length];
            rng.NextBytes(data);
            TimeSpan rtt = TimeSpan.FromMilliseconds(40), round = TimeSpan.FromMilliseconds(10);

            using var send = new SendBuffer(1000);
            var streamCredit = new SendCredit(n.StreamWindow);
            var connectionCredit = new SendCredit(n.ConnectionWindow);
            using var receive = new ReceiveBuffer(1000);
            var streamWindow = new ReceiveWindow(n.StreamWindow, n.MaxWindow);
            var connectionWindow = new ReceiveWindow(n.ConnectionWindow, n.MaxWindow);
            bool streamUpdatePending = false, connectionUpdatePending = false;

            var wire = new List<Packet>();
            var output = new List<byte>();
            var readBuffer = new byte[8000];
            int written = 0;
            Instant now = Instant.Zero;

            for (int r = 0; !(receive.IsFinished && send.IsAllAcknowledged); r++)
            {
                Assert.True(r < 20_000, $"transfer stalled: sent {send.SentOffset}, read {receive.ReadOffset}, credit {streamCredit.MaxData}/{connectionCredit.MaxData}");
                now += round;

                // The application writes in pieces, then finishes.
                if (written < data.Length)
                {
                    int piece = Math.Min(data.Length - written, rng.Next(1, 6000));
                    send.Write(data.AsSpan(written, piece));
                    written += piece;
                }
                else if (!send.IsFinished) send.Finish();

                // The sender fills a few packets.
                for (int p = 0; p < 8; p++)
                {
                    if (!send.TryGetSegment(rng.Next(0, 1200), streamCredit, connectionCredit, out StreamSegment s)) break;
                    var bytes = new byte[s.Length];
                    send.CopyTo(s.Offset, bytes);
                    wire.Add(new Packet(r + rng.Next(0, n.MaxDelayRounds + 1), s, bytes));
                    Assert.True(streamCredit.Sent <= streamCredit.MaxData && streamCredit.MaxData <= streamWindow.MaxData);
                    Assert.True(connectionCredit.Sent <= connectionCredit.MaxData && connectionCredit.MaxData <= connectionWindow.MaxData);
                }

                // The network delivers what is due, in random order; some packets are lost, some duplicated.
                var due = wire.Where(p => p.DeliverAtRound <= r).OrderBy(_ => rng.Next()).ToList();
                wire.RemoveAll(p => p.DeliverAtRound <= r);
                foreach (Packet p in due)
                {
                    if (rng.Next(100) < n.LossPercent)
                    {
                        send.OnLost(p.Segment.Offset, p.Segment.Length, p.Segment.Fin);
                        continue;
                    }
                    int copies = rng.Next(100) < n.DuplicatePercent ? 2 : 1;
                    for (int c = 0; c < copies; c++)
                    {
                        ReceiveResult result = receive.Receive(p.Segment.Offset, p.Bytes, p.Segment.Fin, streamWindow.MaxData, out long increase);
                        Assert.Equal(ReceiveResult.Ok, result);
                        Assert.Equal(FlowControlResult.Ok, streamWindow.OnReceived(p.Segment.End));
                        Assert.Equal(FlowControlResult.Ok, connectionWindow.OnReceivedBytes(increase));
                    }
                    send.OnAcked(p.Segment.Offset, p.Segment.Length, p.Segment.Fin);
                }

                // The receiving application reads some, which frees credit.
                int read = receive.Read(readBuffer.AsSpan(0, rng.Next(0, readBuffer.Length)));
                output.AddRange(readBuffer.AsSpan(0, read).ToArray());
                streamWindow.OnConsumed(read);
                connectionWindow.OnConsumed(read);

                // Window updates, which may be lost and are then sent again with the current limit.
                if (!receive.IsAllDataReceived && streamWindow.TryGetUpdate(now, rtt, out _)) streamUpdatePending = true;
                if (connectionWindow.TryGetUpdate(now, rtt, out _)) connectionUpdatePending = true;
                if (streamUpdatePending && rng.Next(100) >= n.LossPercent)
                {
                    streamCredit.OnMaxDataReceived(streamWindow.MaxData);
                    streamUpdatePending = false;
                }
                if (connectionUpdatePending && rng.Next(100) >= n.LossPercent)
                {
                    connectionCredit.OnMaxDataReceived(connectionWindow.MaxData);
                    connectionUpdatePending = false;
                }
                Assert.True(streamWindow.Window <= n.MaxWindow && connectionWindow.Window <= n.MaxWindow);
                Assert.True(receive.BufferedBytes <= streamWindow.MaxData - receive.ReadOffset);
            }

            Assert.True(data.AsSpan().SequenceEqual(output.ToArray()), "the bytes read differ from the bytes written");
            Assert.Equal((long)data.Length, receive.FinalSize);
            Assert.Equal(0, send.RentedChunks);
            Assert.Equal(0, receive.RentedChunks);
        }
    }
}
