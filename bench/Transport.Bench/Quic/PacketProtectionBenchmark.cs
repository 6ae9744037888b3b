using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Transport.Quic;
using Transport.Quic.Crypto;

namespace Transport.Bench.Quic;

/// <summary>
/// RFC 9001 packet protection of one 1200-byte 1-RTT packet (short header, 8-byte DCID, 2-byte packet number, 1173
/// bytes of payload, 16-byte tag), per AEAD: seal (AEAD + header protection) and open (header protection removal,
/// packet number decoding, AEAD). GB/s = 1200 bytes / time per packet. Open copies the sealed packet into the work
/// buffer first (opening is destructive); <see cref="CopyOnly"/> measures that copy alone.
/// </summary>
[MemoryDiagnoser]
public class PacketProtectionBenchmark
{
    private const int PacketLength = 1200;
    private const int PacketNumberOffset = 1 + 8;
    private const int PacketNumberLength = 2;
    private const int HeaderLength = PacketNumberOffset + PacketNumberLength;
    private const long PacketNumber = 1_000_000;

    private OneRttKeys _client = null!;
    private OneRttKeys _server = null!;
    private readonly byte[] _packet = new byte[PacketLength];
    private readonly byte[] _sealed = new byte[PacketLength];

    [Params(CipherSuite.Aes128GcmSha256, CipherSuite.Aes256GcmSha384, CipherSuite.ChaCha20Poly1305Sha256)]
    public CipherSuite Suite { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int secretLength = Suite == CipherSuite.Aes256GcmSha384 ? 48 : 32;
        byte[] clientSecret = RandomNumberGenerator.GetBytes(secretLength), serverSecret = RandomNumberGenerator.GetBytes(secretLength);
        _client = OneRttKeys.Create(Suite, clientSecret, serverSecret);
        _server = OneRttKeys.Create(Suite, serverSecret, clientSecret);
        _packet[0] = 0x40 | (PacketNumberLength - 1);
        RandomNumberGenerator.Fill(_packet.AsSpan(1, 8));
        RandomNumberGenerator.Fill(_packet.AsSpan(HeaderLength, PacketLength - HeaderLength - 16));
        _packet.CopyTo(_sealed, 0);
        _client.Seal(_sealed, HeaderLength, PacketNumberOffset, PacketNumberLength, PacketNumber);
        byte[] probe = (byte[])_sealed.Clone();
        if (!_server.TryOpen(probe, PacketNumberOffset, PacketNumber - 1, out _, out _, out _))
            throw new InvalidOperationException("The benchmark's packet does not open.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _server.Dispose();
    }

    /// <summary>Seal in place: AEAD encryption of the payload plus header protection.</summary>
    [Benchmark]
    public int Seal()
    {
        // Header protection masked the packet number length bits last time; the codec would write a fresh first byte.
        _packet[0] = 0x40 | (PacketNumberLength - 1);
        return _client.Seal(_packet, HeaderLength, PacketNumberOffset, PacketNumberLength, PacketNumber);
    }

    /// <summary>Copy the sealed packet into the work buffer, then open it in place.</summary>
    [Benchmark]
    public long Open()
    {
        _sealed.CopyTo(_packet, 0);
        _server.TryOpen(_packet, PacketNumberOffset, PacketNumber - 1, out long pn, out _, out _);
        return pn;
    }

    /// <summary>The 1200-byte copy that <see cref="Open"/> includes.</summary>
    [Benchmark]
    public int CopyOnly()
    {
        _sealed.CopyTo(_packet, 0);
        return _packet[0];
    }
}

/// <summary>
/// Header protection alone, AES-128 (RFC 9001 §5.4.3): the kept ECB encryptor this library uses against the one-shot
/// <see cref="SymmetricAlgorithm.EncryptEcb(ReadOnlySpan{byte}, Span{byte}, PaddingMode)"/>, which allocates per call;
/// and the ChaCha20 mask (RFC 9001 §5.4.4) through BouncyCastle.
/// </summary>
[MemoryDiagnoser]
public class PacketProtectionHeaderMaskBenchmark
{
    private readonly byte[] _sample = RandomNumberGenerator.GetBytes(16);
    private readonly byte[] _mask = new byte[5];
    private HeaderProtection _aes = null!;
    private HeaderProtection _chaCha = null!;
    private Aes _oneShot = null!;

    [GlobalSetup]
    public void Setup()
    {
        byte[] key16 = RandomNumberGenerator.GetBytes(16), key32 = RandomNumberGenerator.GetBytes(32);
        _aes = HeaderProtection.Create(CipherSuite.Aes128GcmSha256, key16);
        _chaCha = HeaderProtection.Create(CipherSuite.ChaCha20Poly1305Sha256, key32);
        _oneShot = Aes.Create();
        _oneShot.Key = key16;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _aes.Dispose();
        _chaCha.Dispose();
        _oneShot.Dispose();
    }

    /// <summary>AES-128-ECB mask through the kept encryptor.</summary>
    [Benchmark(Baseline = true)]
    public byte AesMask()
    {
        _aes.ComputeMask(_sample, _mask);
        return _mask[0];
    }

    /// <summary>AES-128-ECB mask through the one-shot EncryptEcb into a stack block.</summary>
    [Benchmark]
    public byte AesMaskEncryptEcbOneShot()
    {
        Span<byte> block = stackalloc byte[16];
        _oneShot.EncryptEcb(_sample, block, PaddingMode.None);
        return block[0];
    }

    /// <summary>ChaCha20 mask through the reused BouncyCastle engine.</summary>
    [Benchmark]
    public byte ChaCha20Mask()
    {
        _chaCha.ComputeMask(_sample, _mask);
        return _mask[0];
    }
}

/// <summary>
/// Header protection of a train of 16 sealed 1200-byte 1-RTT packets (what one PollTransmitBatch protects): one
/// <see cref="HeaderProtection.Apply"/> per packet (one framework cipher call each) against
/// <see cref="HeaderProtection.ApplyBatch"/> (AES: one ECB call over the 16 concatenated samples; ChaCha20 still one
/// mask a sample). Time per train; divide by 16 for a packet.
/// </summary>
[MemoryDiagnoser]
public class HeaderProtectionBatchBenchmark
{
    private const int Packets = 16;
    private const int PacketLength = 1200;
    private const int PacketNumberOffset = 1 + 8;
    private readonly byte[] _train = RandomNumberGenerator.GetBytes(Packets * PacketLength);
    private readonly HeaderProtectionTarget[] _targets = new HeaderProtectionTarget[Packets];
    private HeaderProtection _hp = null!;

    [Params(CipherSuite.Aes128GcmSha256, CipherSuite.ChaCha20Poly1305Sha256)]
    public CipherSuite Suite { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _hp = HeaderProtection.Create(Suite, RandomNumberGenerator.GetBytes(Suite == CipherSuite.ChaCha20Poly1305Sha256 ? 32 : 16));
        for (int i = 0; i < Packets; i++)
        {
            _train[i * PacketLength] = 0x41; // short header, 2-byte packet number
            _targets[i] = new HeaderProtectionTarget(i * PacketLength, i * PacketLength + PacketNumberOffset, 2);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _hp.Dispose();

    /// <summary>One Apply (one cipher call) per packet.</summary>
    [Benchmark(Baseline = true)]
    public byte OnePerPacket()
    {
        for (int i = 0; i < Packets; i++)
            _hp.Apply(_train.AsSpan(i * PacketLength, PacketLength), PacketNumberOffset, 2);
        return _train[0];
    }

    /// <summary>One ApplyBatch for the train.</summary>
    [Benchmark]
    public byte Batch()
    {
        _hp.ApplyBatch(_train, _targets);
        return _train[0];
    }
}
