using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace Transport.Quic.Crypto;

/// <summary>
/// ChaCha20-based header protection (RFC 9001 §5.4.4): counter = sample[0..3] (little-endian), nonce = sample[4..15],
/// mask = ChaCha20(hp_key, counter, nonce, {0,0,0,0,0}), i.e. the first five bytes of that ChaCha20 block's key stream.
/// </summary>
/// <remarks>
/// Raw ChaCha20 comes from BouncyCastle's RFC 7539 engine (Portable.BouncyCastle 1.8.10, pinned). Its public API can
/// only start the block counter at 0 and allocates on every Init (it clones the nonce and the parameters), so this class
/// derives from the engine, keys it once, and per packet writes the block counter and nonce into the engine's ChaCha20
/// state (words 12 = counter, 13..15 = nonce, RFC 8439 §2.3) and calls the engine's protected GenerateKeyStream into a
/// reused 64-byte buffer: no allocation per packet. The state array is internal to BouncyCastle, so it is reached once,
/// at construction, through an <see cref="UnsafeAccessorAttribute"/>; the RFC 9001 A.5 vector test guards that detail.
/// </remarks>
internal sealed class ChaCha20HeaderProtection : HeaderProtection
{
    private readonly MaskEngine _engine;

    public ChaCha20HeaderProtection(ReadOnlySpan<byte> key) => _engine = new MaskEngine(key);

    public override void ComputeMask(ReadOnlySpan<byte> sample, Span<byte> mask) => _engine.ComputeMask(sample, mask);

    public override void Dispose() => _engine.Clear();

    private sealed class MaskEngine : ChaCha7539Engine
    {
        private readonly byte[] _keyStream = new byte[64];
        private readonly uint[] _state;

        public MaskEngine(ReadOnlySpan<byte> key)
        {
            // Sets the constants and the key (state words 0..11) once; counter and nonce are replaced per packet.
            Init(true, new ParametersWithIV(new KeyParameter(key.ToArray()), new byte[12]));
            _state = EngineState(this);
            if (_state is not { Length: 16 })
                throw new InvalidOperationException("BouncyCastle's ChaCha7539Engine state is not the 16-word ChaCha20 state this code expects.");
        }

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "engineState")]
        private static extern ref uint[] EngineState(Salsa20Engine engine);

        public void ComputeMask(ReadOnlySpan<byte> sample, Span<byte> mask)
        {
            // RFC 9001 §5.4.4: counter = sample[0..3], nonce = sample[4..15], both read little-endian as ChaCha20 words.
            _state[12] = BinaryPrimitives.ReadUInt32LittleEndian(sample);
            _state[13] = BinaryPrimitives.ReadUInt32LittleEndian(sample.Slice(4));
            _state[14] = BinaryPrimitives.ReadUInt32LittleEndian(sample.Slice(8));
            _state[15] = BinaryPrimitives.ReadUInt32LittleEndian(sample.Slice(12));
            GenerateKeyStream(_keyStream);
            // The mask is the key stream XOR five zero bytes, i.e. the key stream itself.
            _keyStream.AsSpan(0, MaskLength).CopyTo(mask);
        }

        public void Clear()
        {
            Array.Clear(_state);
            Array.Clear(_keyStream);
        }
    }
}
