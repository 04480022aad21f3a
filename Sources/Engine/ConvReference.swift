/// Direct-loop convolutions: slow, obviously correct, and the yardstick the im2col + GEMM paths
/// are tested against. Written from the definition big = small·stride + tap − pad, not from im2col.
public enum ConvReference {
    // x: (N,H,W,C), w: (K,K,C,OC), b: (OC) → y: (N,OH,OW,OC), pre-activation
    public static func conv2dForward(x: [Float], batch: Int, geometry g: ConvGeometry, w: [Float], b: [Float], filters oc: Int) -> [Float] {
        var y = [Float](repeating: 0, count: batch * g.smallH * g.smallW * oc)
        for n in 0..<batch { for oy in 0..<g.smallH { for ox in 0..<g.smallW { for o in 0..<oc {
            var s = b[o]
            for ky in 0..<g.kernel { for kx in 0..<g.kernel {
                let iy = oy * g.stride + ky - g.padTop, ix = ox * g.stride + kx - g.padLeft
                guard iy >= 0, iy < g.bigH, ix >= 0, ix < g.bigW else { continue }
                for c in 0..<g.channels {
                    s += x[((n * g.bigH + iy) * g.bigW + ix) * g.channels + c]
                        * w[((ky * g.kernel + kx) * g.channels + c) * oc + o]
                }
            } }
            y[((n * g.smallH + oy) * g.smallW + ox) * oc + o] = s
        } } } }
        return y
    }

    // dy: (N,OH,OW,OC) → dx: (N,H,W,C), dw: (K,K,C,OC), db: (OC)
    public static func conv2dBackward(x: [Float], dy: [Float], batch: Int, geometry g: ConvGeometry, w: [Float], filters oc: Int)
        -> (dx: [Float], dw: [Float], db: [Float]) {
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count)
        var db = [Float](repeating: 0, count: oc)
        for n in 0..<batch { for oy in 0..<g.smallH { for ox in 0..<g.smallW { for o in 0..<oc {
            let d = dy[((n * g.smallH + oy) * g.smallW + ox) * oc + o]
            db[o] += d
            for ky in 0..<g.kernel { for kx in 0..<g.kernel {
                let iy = oy * g.stride + ky - g.padTop, ix = ox * g.stride + kx - g.padLeft
                guard iy >= 0, iy < g.bigH, ix >= 0, ix < g.bigW else { continue }
                for c in 0..<g.channels {
                    let xi = ((n * g.bigH + iy) * g.bigW + ix) * g.channels + c
                    let wi = ((ky * g.kernel + kx) * g.channels + c) * oc + o
                    dx[xi] += d * w[wi]
                    dw[wi] += d * x[xi]
                }
            } }
        } } } }
        return (dx, dw, db)
    }

    // x: (N,H,W,C), w: (K,K,OC,C), b: (OC) → y: (N,bigH,bigW,OC), pre-activation (scatter form)
    public static func transposedForward(x: [Float], batch: Int, geometry g: ConvGeometry, w: [Float], b: [Float], inputChannels cin: Int) -> [Float] {
        let oc = g.channels
        var y = [Float](repeating: 0, count: batch * g.bigCount)
        for n in 0..<batch {
            for p in 0..<(g.bigH * g.bigW) { for o in 0..<oc { y[(n * g.bigH * g.bigW + p) * oc + o] = b[o] } }
            for iy in 0..<g.smallH { for ix in 0..<g.smallW { for ky in 0..<g.kernel { for kx in 0..<g.kernel {
                let oy = iy * g.stride + ky - g.padTop, ox = ix * g.stride + kx - g.padLeft
                guard oy >= 0, oy < g.bigH, ox >= 0, ox < g.bigW else { continue }
                for o in 0..<oc { for c in 0..<cin {
                    y[((n * g.bigH + oy) * g.bigW + ox) * oc + o] +=
                        x[((n * g.smallH + iy) * g.smallW + ix) * cin + c] * w[((ky * g.kernel + kx) * oc + o) * cin + c]
                } }
            } } } }
        }
        return y
    }

    // dy: (N,bigH,bigW,OC) → dx: (N,H,W,C), dw: (K,K,OC,C), db: (OC)
    public static func transposedBackward(x: [Float], dy: [Float], batch: Int, geometry g: ConvGeometry, w: [Float], inputChannels cin: Int)
        -> (dx: [Float], dw: [Float], db: [Float]) {
        let oc = g.channels
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count)
        var db = [Float](repeating: 0, count: oc)
        for n in 0..<batch {
            for p in 0..<(g.bigH * g.bigW) { for o in 0..<oc { db[o] += dy[(n * g.bigH * g.bigW + p) * oc + o] } }
            for iy in 0..<g.smallH { for ix in 0..<g.smallW { for ky in 0..<g.kernel { for kx in 0..<g.kernel {
                let oy = iy * g.stride + ky - g.padTop, ox = ix * g.stride + kx - g.padLeft
                guard oy >= 0, oy < g.bigH, ox >= 0, ox < g.bigW else { continue }
                for o in 0..<oc { for c in 0..<cin {
                    let d = dy[((n * g.bigH + oy) * g.bigW + ox) * oc + o]
                    let xi = ((n * g.smallH + iy) * g.smallW + ix) * cin + c
                    let wi = ((ky * g.kernel + kx) * oc + o) * cin + c
                    dx[xi] += d * w[wi]
                    dw[wi] += d * x[xi]
                } }
            } } } }
        }
        return (dx, dw, db)
    }
}
