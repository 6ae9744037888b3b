using FsCheck;
using FsCheck.Fluent;
using Transport.Reliable.FlowControl;
using Transport.Reliable.Streams;

namespace Transport.Reliable.Tests.Streams;

public class SendBufferProperties
{
    public enum OpKind { Write, Send, Ack, Lose, LateAck, Finish, StreamCredit, ConnectionCredit }

    public sealed record Op(OpKind Kind, int Value)
    {
        public override string ToString() => $"{Kind}({Value})";
    }

    private static readonly Gen<Op> Ops =
        from kind in Gen.Frequency(
            (4, Gen.Constant(OpKind.Write)), (8, Gen.Constant(OpKind.Send)), (5, Gen.Constant(OpKind.Ack)),
            (3, Gen.Constant(OpKind.Lose)), (1, Gen.Constant(OpKind.LateAck)), (1, Gen.Constant(OpKind.Finish)),
            (2, Gen.Constant(OpKind.StreamCredit)), (2, Gen.Constant(OpKind.ConnectionCredit)))
        from value in Gen.Choose(0, 700)
        select new Op(kind, value);

    private static readonly Gen<(int ChunkSize, Op[] Ops, int DrainSeed)> Schedules =
        from chunk in Gen.Elements(1, 13, 100, 4096)
        from ops in Gen.ArrayOf(Ops)
        from seed in Gen.Choose(0, int.MaxValue)
        select (chunk, ops, seed);

    private static byte ContentAt(long offset) => (byte)(offset * 31 + 7 + (offset >> 8));

    /// <summary>Drives a SendBuffer through a schedule and checks it against a byte-level model at every step.</summary>
    private sealed class Harness
    {
        public readonly SendBuffer Buffer;
        public readonly SendCredit Stream = new(500);
        public readonly SendCredit Connection = new(800);
        private readonly List<bool> _acked = new();
        private readonly List<bool> _pending = new(); // lost, not acknowledged, not yet sent again
        private readonly List<StreamSegment> _inFlight = new();
        private readonly List<StreamSegment> _lostHistory = new();
        private bool _finLost, _finAcked;
        private int _ackedCount, _pendingCount, _ackedPrefix;

        private void SetAcked(long i)
        {
            if (!_acked[(int)i]) { _acked[(int)i] = true; _ackedCount++; }
            while (_ackedPrefix < _acked.Count && _acked[_ackedPrefix]) _ackedPrefix++;
        }

        private void SetPending(long i, bool value)
        {
            if (_pending[(int)i] == value) return;
            _pending[(int)i] = value;
            _pendingCount += value ? 1 : -1;
        }

        public Harness(int chunkSize) => Buffer = new SendBuffer(chunkSize);

        public void Write(int n)
        {
            if (Buffer.IsFinished) return;
            var bytes = new byte[n];
            long at = Buffer.WrittenOffset;
            for (int i = 0; i < n; i++) bytes[i] = ContentAt(at + i);
            Buffer.Write(bytes);
            for (int i = 0; i < n; i++) { _acked.Add(false); _pending.Add(false); }
        }

        public void Finish()
        {
            if (!Buffer.IsFinished) Buffer.Finish();
        }

        public bool Send(int maxLength)
        {
            int pendingCount = _pendingCount;
            long lowestPending = pendingCount > 0 ? _pending.IndexOf(true, _ackedPrefix) : -1;
            long sentBefore = Buffer.SentOffset;
            long creditLimit = Math.Min(Stream.MaxData, sentBefore + Connection.Available);
            bool finLostBefore = _finLost;

            if (!Buffer.TryGetSegment(maxLength, Stream, Connection, out StreamSegment s))
            {
                // Nothing to send: nothing lost waits (unless it does not fit in maxLength 0), no new data within credit.
                if (maxLength > 0) Assert.Equal(0, pendingCount);
                Assert.False(finLostBefore && pendingCount == 0);
                Assert.True(Buffer.UnsentBytes == 0 || creditLimit <= sentBefore || maxLength == 0);
                return false;
            }

            Assert.True(s.Length <= maxLength);
            Assert.True(s.Length > 0 || s.Fin, "empty segment without FIN");
            // Nothing acknowledged is sent again.
            for (long i = s.Offset; i < s.End; i++) if (_acked[(int)i]) Assert.Fail($"acknowledged byte {i} handed out again in {s}");
            // The bytes are the stream's.
            var copy = new byte[s.Length];
            Buffer.CopyTo(s.Offset, copy);
            for (int i = 0; i < copy.Length; i++) if (copy[i] != ContentAt(s.Offset + i)) Assert.Fail($"wrong byte at {s.Offset + i}");

            if (pendingCount > 0 && maxLength > 0)
            {
                // Retransmissions come first, starting at the lowest lost byte, made only of lost bytes.
                Assert.Equal(lowestPending, s.Offset);
                Assert.True(s.End <= sentBefore);
                for (long i = s.Offset; i < s.End; i++) if (!_pending[(int)i]) Assert.Fail($"byte {i} in retransmission {s} was not lost");
                Assert.Equal(sentBefore, Buffer.SentOffset);
            }
            else if (finLostBefore && pendingCount == 0)
            {
                Assert.Equal(new StreamSegment(Buffer.FinalSize!.Value, 0, true), s);
            }
            else if (s.Offset >= sentBefore)
            {
                // New data: contiguous with what was sent, within both credits.
                Assert.Equal(sentBefore, s.Offset);
                Assert.True(s.End <= creditLimit || s.Length == 0);
            }
            if (s.Fin) Assert.Equal(Buffer.FinalSize, s.End);
            Assert.True(Buffer.SentOffset <= Stream.MaxData);
            Assert.True(Connection.Sent <= Connection.MaxData);
            Assert.Equal(Buffer.SentOffset, Stream.Sent);
            Assert.Equal(Buffer.SentOffset, Connection.Sent);

            for (long i = s.Offset; i < s.End; i++) SetPending(i, false);
            if (s.Fin) _finLost = false;
            _inFlight.Add(s);
            CheckCounters();
            return true;
        }

        public void Ack(int pick) => Ack(_inFlight, pick);

        public void LateAck(int pick) => Ack(_lostHistory, pick);

        private void Ack(List<StreamSegment> from, int pick)
        {
            if (from.Count == 0) return;
            StreamSegment s = from[pick % from.Count];
            from.RemoveAt(pick % from.Count);
            Buffer.OnAcked(s.Offset, s.Length, s.Fin);
            for (long i = s.Offset; i < s.End; i++) { SetAcked(i); SetPending(i, false); }
            if (s.Fin) { _finAcked = true; _finLost = false; }
            CheckCounters();
        }

        public void Lose(int pick)
        {
            if (_inFlight.Count == 0) return;
            StreamSegment s = _inFlight[pick % _inFlight.Count];
            _inFlight.RemoveAt(pick % _inFlight.Count);
            _lostHistory.Add(s);
            Buffer.OnLost(s.Offset, s.Length, s.Fin);
            for (long i = s.Offset; i < s.End; i++) if (!_acked[(int)i]) SetPending(i, true);
            if (s.Fin && !_finAcked) _finLost = true;
            CheckCounters();
        }

        public void DrainAll(Random rng)
        {
            Finish();
            Stream.OnMaxDataReceived(long.MaxValue / 2);
            Connection.OnMaxDataReceived(long.MaxValue / 2);
            for (int round = 0; !Buffer.IsAllAcknowledged; round++)
            {
                Assert.True(round < 500, "the stream did not complete");
                while (Send(rng.Next(1, 700))) { }
                while (_inFlight.Count > 0)
                {
                    if (rng.Next(10) < 7) Ack(rng.Next(1000));
                    else Lose(rng.Next(1000));
                }
            }
            // Every byte and the FIN acknowledged; nothing left to send or held.
            Assert.Equal(_acked.Count, _ackedCount);
            Assert.True(_finAcked);
            Assert.Equal(Buffer.WrittenOffset, Buffer.FinalSize);
            Assert.Equal(0, Buffer.BufferedBytes);
            Assert.Equal(0, Buffer.RetransmitBytes);
            Assert.Equal(0, Buffer.InFlightBytes);
            Assert.False(Buffer.HasDataToSend);
            Assert.False(Buffer.TryGetSegment(1000, long.MaxValue, out _));
            Assert.Equal(0, Buffer.RentedChunks);
        }

        private void CheckCounters()
        {
            Assert.Equal(_pendingCount, Buffer.RetransmitBytes);
            Assert.Equal(Buffer.SentOffset - _ackedCount - _pendingCount, Buffer.InFlightBytes);
            Assert.True(Buffer.InFlightBytes >= 0);
            Assert.Equal(_ackedPrefix, Buffer.AcknowledgedOffset);
        }
    }

    [Fact]
    public void Under_sends_losses_and_acks_the_whole_stream_and_fin_are_acknowledged()
    {
        Prop.ForAll(Schedules.ToArbitrary(), schedule =>
        {
            var h = new Harness(schedule.ChunkSize);
            foreach (Op op in schedule.Ops)
            {
                switch (op.Kind)
                {
                    case OpKind.Write: h.Write(op.Value); break;
                    case OpKind.Send: h.Send(op.Value % 4 == 0 ? 0 : op.Value); break;
                    case OpKind.Ack: h.Ack(op.Value); break;
                    case OpKind.Lose: h.Lose(op.Value); break;
                    case OpKind.LateAck: h.LateAck(op.Value); break;
                    case OpKind.Finish: h.Finish(); break;
                    case OpKind.StreamCredit: h.Stream.OnMaxDataReceived(h.Stream.MaxData + op.Value); break;
                    case OpKind.ConnectionCredit: h.Connection.OnMaxDataReceived(h.Connection.MaxData + op.Value); break;
                }
            }
            h.DrainAll(new Random(schedule.DrainSeed));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }
}
