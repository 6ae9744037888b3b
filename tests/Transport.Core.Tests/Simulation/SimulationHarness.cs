using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using Transport.Core.Simulation;
using Transport.Core.Time;

namespace Transport.Core.Tests.Simulation;

/// <summary>One datagram a workload sends: a gap after the previous send, endpoint indices and a size.</summary>
public sealed record SendOp(int GapMicros, int From, int To, int Size);

/// <summary>A datagram as the receiver got it (payload copied).</summary>
public sealed record Received(Instant SentAt, Instant DeliveredAt, IPEndPoint Source, IPEndPoint Destination, byte[] Payload)
{
    /// <summary>The index written into the first four bytes by <see cref="SimulationHarness.Payload"/>.</summary>
    public int Index => BinaryPrimitives.ReadInt32BigEndian(Payload);

    public override string ToString() =>
        $"{SentAt.Ticks} {DeliveredAt.Ticks} {Source} {Destination} {Convert.ToHexString(Payload)}";
}

internal static class SimulationHarness
{
    public static IPEndPoint Endpoint(int i) => new(new IPAddress(new byte[] { 10, 0, 0, (byte)(i + 1) }), 5000 + i);

    /// <summary>A recognisable payload: the index (big-endian) in the first four bytes, then a pattern from it.</summary>
    public static byte[] Payload(int index, int size)
    {
        var bytes = new byte[size];
        FillPayload(index, bytes);
        return bytes;
    }

    public static void FillPayload(int index, Span<byte> bytes)
    {
        if (bytes.Length >= 4) BinaryPrimitives.WriteInt32BigEndian(bytes, index);
        for (int j = 4; j < bytes.Length; j++) bytes[j] = (byte)(index * 31 + j * 7);
    }

    /// <summary>Receives everything due at or before <paramref name="now"/> into <paramref name="into"/>.</summary>
    public static void ReceiveUntil(NetworkSimulator sim, Instant now, List<Received> into)
    {
        while (sim.TryReceive(now, out var d))
            into.Add(new Received(d.SentAt, d.DeliveredAt, d.Source, d.Destination, d.Payload.ToArray()));
    }

    /// <summary>Receives until nothing is in flight, advancing virtual time to each delivery.</summary>
    public static void Drain(NetworkSimulator sim, List<Received> into)
    {
        while (sim.NextDeliveryTime is { } next) ReceiveUntil(sim, Instant.Max(next, sim.Now), into);
    }

    /// <summary>
    /// Runs a workload: each send at its instant after receiving everything due by then; then drains.
    /// Returns the deliveries in order, and the send instants.
    /// </summary>
    public static List<Received> Run(NetworkSimulator sim, IReadOnlyList<SendOp> ops, out Instant[] sendTimes)
    {
        var received = new List<Received>();
        sendTimes = new Instant[ops.Count];
        var now = Instant.Zero;
        for (int i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            now += TimeSpan.FromMicroseconds(op.GapMicros);
            ReceiveUntil(sim, now, received);
            sendTimes[i] = now;
            sim.Send(now, Endpoint(op.From), Endpoint(op.To), Payload(i, op.Size));
        }
        Drain(sim, received);
        return received;
    }

    public static string Trace(List<Received> received)
    {
        var sb = new StringBuilder();
        foreach (var r in received) sb.AppendLine(r.ToString());
        return sb.ToString();
    }

    public static string Describe(LinkStatistics s) => string.Create(CultureInfo.InvariantCulture,
        $"sent {s.Sent} delivered {s.Delivered} dropped {s.Dropped} (loss {s.DroppedLoss}, burst {s.DroppedBurstLoss}, queue {s.DroppedQueueFull}, mtu {s.DroppedMtu}, blackhole {s.DroppedBlackhole}, stale {s.DroppedStaleAddress}) dup {s.Duplicated} corrupt {s.Corrupted} reordered {s.Reordered} out-of-order {s.DeliveredOutOfOrder} in flight {s.InFlight}");
}
