using System.Buffers.Binary;
using System.Security.Cryptography;
using Transport.Core.Security;

namespace Transport.Quic.Tls;

/// <summary>
/// The server's keys for sealing session tickets with AES-256-GCM. The current key seals new tickets; every key in the
/// set opens tickets. Rotate regularly (for example daily) and keep the previous keys for at least the ticket lifetime;
/// servers behind one address share the same key bytes (<see cref="AddKey"/>). Thread-safe.
/// </summary>
/// <remarks>
/// Sealed ticket layout: key id (4 bytes, from SHA-256 of the key) || nonce (12) || ciphertext || tag (16). Each key keeps
/// one <see cref="AesGcm"/> (keyed once, about 3 us saved per ticket sealed or opened), used under that key's lock and
/// disposed when the key leaves the set.
/// </remarks>
public sealed class TlsSessionTicketKeys
{
    private const int KeyIdLength = 4;
    private const int NonceLength = 12;
    private const int TagLength = 16;
    private readonly Lock _lock = new();
    private readonly List<TicketKey> _keys = new();

    private sealed class TicketKey(uint id, ReadOnlySpan<byte> key)
    {
        public uint Id { get; } = id;
        // Used and disposed only under Gate; Disposed is then true and the key is out of the set.
        public Lock Gate { get; } = new();
        public AesGcm Aead { get; } = new(key, TagLength);
        public bool Disposed { get; private set; }

        public void Dispose()
        {
            lock (Gate)
            {
                Disposed = true;
                Aead.Dispose();
            }
        }
    }

    /// <summary>A key set with one fresh random key.</summary>
    public TlsSessionTicketKeys() => Rotate();

    /// <summary>How many keys the set keeps; the oldest is dropped when a key beyond this is added. Default 3.</summary>
    public int MaxKeys { get; init; } = 3;

    /// <summary>How many keys the set holds.</summary>
    public int Count { get { lock (_lock) return _keys.Count; } }

    /// <summary>Makes a new random key current; older keys still open tickets until pushed out by <see cref="MaxKeys"/>.</summary>
    public void Rotate() => AddKey(RandomNumberGenerator.GetBytes(32), makeCurrent: true);

    /// <summary>Adds a 32-byte key (shared among servers); the current one seals new tickets.</summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public void AddKey(ReadOnlySpan<byte> key, bool makeCurrent)
    {
        if (key.Length != 32) throw new ArgumentException("A session ticket key must be 32 bytes.", nameof(key));
        uint id = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(key));
        var entry = new TicketKey(id, key);
        var removed = new List<TicketKey>();
        lock (_lock)
        {
            foreach (var k in _keys) if (k.Id == id) removed.Add(k);
            _keys.RemoveAll(k => k.Id == id);
            if (makeCurrent) _keys.Insert(0, entry);
            else _keys.Add(entry);
            while (_keys.Count > Math.Max(1, MaxKeys))
            {
                removed.Add(_keys[^1]);
                _keys.RemoveAt(_keys.Count - 1);
            }
        }
        foreach (var k in removed) k.Dispose();
    }

    internal byte[] Seal(ReadOnlySpan<byte> plaintext)
    {
        byte[] sealedTicket = new byte[KeyIdLength + NonceLength + plaintext.Length + TagLength];
        Span<byte> s = sealedTicket;
        while (true)
        {
            TicketKey key = Current();
            lock (key.Gate)
            {
                if (key.Disposed) continue; // rotated out meanwhile: seal with the new current key
                BinaryPrimitives.WriteUInt32BigEndian(s, key.Id);
                SecureRandom.Fill(s.Slice(KeyIdLength, NonceLength));
                key.Aead.Encrypt(s.Slice(KeyIdLength, NonceLength), plaintext, s.Slice(KeyIdLength + NonceLength, plaintext.Length),
                    s.Slice(s.Length - TagLength), s.Slice(0, KeyIdLength));
                return sealedTicket;
            }
        }
    }

    /// <summary>Opens a sealed ticket; false when no key matches or authentication fails (tampered or foreign tickets).</summary>
    internal bool TryOpen(ReadOnlySpan<byte> sealedTicket, out byte[] plaintext)
    {
        plaintext = [];
        if (sealedTicket.Length < KeyIdLength + NonceLength + TagLength) return false;
        uint id = BinaryPrimitives.ReadUInt32BigEndian(sealedTicket);
        TicketKey? key = null;
        lock (_lock)
        {
            foreach (var k in _keys) if (k.Id == id) { key = k; break; }
        }
        if (key is null) return false;
        byte[] output = new byte[sealedTicket.Length - KeyIdLength - NonceLength - TagLength];
        try
        {
            lock (key.Gate)
            {
                if (key.Disposed) return false; // rotated out meanwhile
                key.Aead.Decrypt(sealedTicket.Slice(KeyIdLength, NonceLength), sealedTicket.Slice(KeyIdLength + NonceLength, output.Length),
                    sealedTicket.Slice(sealedTicket.Length - TagLength), output, sealedTicket.Slice(0, KeyIdLength));
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
        plaintext = output;
        return true;
    }

    private TicketKey Current()
    {
        lock (_lock) return _keys[0];
    }
}
