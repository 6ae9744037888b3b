using System.Security.Cryptography;

namespace Transport.Quic.Tls;

/// <summary>
/// A few key objects of one certificate kept for reuse across handshakes (an <see cref="AsymmetricAlgorithm"/> is not
/// safe for concurrent use, and making one from the certificate costs more than the signature itself). At most
/// <see cref="MaxPooledKeys"/> are kept; the rest are disposed when returned.
/// </summary>
internal sealed class TlsKeyPool
{
    private const int MaxPooledKeys = 4;
    private readonly Stack<AsymmetricAlgorithm> _keys = new();

    /// <summary>A pooled key, or null when none is free (the caller makes one).</summary>
    public AsymmetricAlgorithm? TryRent()
    {
        lock (_keys) return _keys.TryPop(out AsymmetricAlgorithm? key) ? key : null;
    }

    /// <summary>Keeps <paramref name="key"/> for the next handshake, or disposes it when the pool is full.</summary>
    public void Return(AsymmetricAlgorithm key)
    {
        lock (_keys)
        {
            if (_keys.Count < MaxPooledKeys)
            {
                _keys.Push(key);
                return;
            }
        }
        key.Dispose();
    }
}
