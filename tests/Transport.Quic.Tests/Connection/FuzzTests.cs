using FsCheck;
using FsCheck.Fluent;
using Transport.Quic.Connection;

namespace Transport.Quic.Tests.Connection;

public class FuzzTests
{
    /// <summary>
    /// A peer that sends arbitrary frame bytes inside valid 1-RTT packets: the victim either ignores them or closes with
    /// a transport error code, never with an internal error (ConnectionPair.Dispose checks), and the culprit learns the code.
    /// </summary>
    [Fact]
    public void Arbitrary_frames_from_the_peer_close_cleanly_or_are_ignored()
    {
        var gen =
            from length in Gen.Choose(1, 40)
            from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
            from firstByte in Gen.Choose(0, 0x31)
            from toServer in ArbMap.Default.GeneratorFor<bool>()
            select (Frame: Prepend((byte)firstByte, bytes), ToServer: toServer);
        Prop.ForAll(gen.ToArbitrary(), p =>
        {
            using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
            if (!pair.CompleteHandshake()) return false.Label("handshake");
            var culprit = p.ToServer ? pair.Client : pair.Server;
            culprit.SendRawFrameForTesting(p.Frame);
            pair.RunFor(TimeSpan.FromSeconds(2), 20_000);
            var victimEvents = p.ToServer ? pair.ServerEvents : pair.ClientEvents;
            var closed = victimEvents.Where(e => e.Kind == ConnectionEventKind.Closed).ToList();
            if (closed.Count == 0) return true.Label("ignored");
            var e = closed[0];
            bool transportCode = e.CloseSource == ConnectionCloseSource.Peer // the culprit's frame was a CONNECTION_CLOSE
                || (e.CloseSource == ConnectionCloseSource.LocalTransportError && e.ErrorCode is > 0 and < 0x100 && e.ErrorCode != (ulong)TransportErrorCode.InternalError);
            return transportCode.Label($"frame {Convert.ToHexString(p.Frame)}: {e}");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(40));
    }

    private static byte[] Prepend(byte first, byte[] rest)
    {
        var all = new byte[rest.Length + 1];
        all[0] = first;
        rest.CopyTo(all, 1);
        return all;
    }
}
