#!/usr/bin/env python3
"""One step of the Keras VAE example at LatentBook's weights: loss and gradients side by side.

    VAE_DUMP=/tmp/vae.safetensors swift test --filter vaeLossAndGradientsAreKerasAtTheSameWeights
    .build/keras-venv/bin/python bench/keras/vae_step_check.py /tmp/vae.safetensors

The test writes the baseline VAE's initial weights (seed 0), a fixed ε and our loss and
gradients; this script loads the weights into the example's encoder and decoder (the same layer
shapes and layouts), feeds the same 16 pattern images and ε, and prints Keras's loss (with ε and
with ε = 0) and, per tensor, the largest difference and both gradient norms. The Keras figures
in the test came from here.
"""
import json
import os
import struct
import sys

import numpy as np

os.environ["KERAS_BACKEND"]="tensorflow"
raw=open(sys.argv[1],'rb').read()
n=struct.unpack('<Q',raw[:8])[0]; hdr=json.loads(raw[8:8+n]); data=raw[8+n:]
T={}
for k,v in hdr.items():
    if k=='__metadata__': continue
    b,e=v['data_offsets']; T[k]=np.frombuffer(data[b:e],dtype=np.float32).reshape(v['shape'])
meta=hdr['__metadata__']
import tensorflow as tf, keras
from keras import layers, ops
inp=keras.Input((28,28,1))
c1=layers.Conv2D(32,3,strides=2,padding='same',activation='relu'); c2=layers.Conv2D(64,3,strides=2,padding='same',activation='relu')
d16=layers.Dense(16,activation='relu'); zm=layers.Dense(2); zl=layers.Dense(2)
h=d16(layers.Flatten()(c2(c1(inp)))); enc=keras.Model(inp,[zm(h),zl(h)])
lat=keras.Input((2,)); dd=layers.Dense(7*7*64,activation='relu'); t1=layers.Conv2DTranspose(64,3,strides=2,padding='same',activation='relu')
t2=layers.Conv2DTranspose(32,3,strides=2,padding='same',activation='relu'); t3=layers.Conv2DTranspose(1,3,padding='same',activation='sigmoid')
dec=keras.Model(lat,t3(t2(t1(layers.Reshape((7,7,64))(dd(lat))))))
print(sorted(k for k in T if not k.startswith('grad')))
def setl(layer,name):
    layer.set_weights([T[name+'.kernel'],T[name+'.bias']])
setl(c1,'encoder.0'); setl(c2,'encoder.1'); setl(d16,'encoder.3'); setl(zm,'encoder.4.z_mean'); setl(zl,'encoder.4.z_log_var')
setl(dd,'decoder.0'); setl(t1,'decoder.2'); setl(t2,'decoder.3'); setl(t3,'decoder.4')
x=np.zeros((16,28,28,1),np.float32)
for i in range(16):
    for y in range(28):
        for xx in range(28): x[i,y,xx,0]=((i*31+y*7+xx*3+(xx*y)%5)%17)/16
eps=T['eps']
def loss(e):
    m,lv=enc(x); z=m+ops.exp(0.5*lv)*e; r=dec(z)
    rec=ops.mean(ops.sum(keras.losses.binary_crossentropy(x,r),axis=(1,2)))
    kl=ops.mean(ops.sum(-0.5*(1+lv-ops.square(m)-ops.exp(lv)),axis=1))
    return rec+kl
with tf.GradientTape() as tape:
    L=loss(eps)
vars_=enc.trainable_weights+dec.trainable_weights
g=tape.gradient(L,vars_)
print("keras loss eps",float(L),"ours",meta['loss_eps']); print("keras loss zero",float(loss(np.zeros_like(eps))),"ours",meta['loss_zero'])
names=['encoder.0','encoder.1','encoder.3','encoder.4.z_mean','encoder.4.z_log_var','decoder.0','decoder.2','decoder.3','decoder.4']
for i,nm in enumerate(names):
    for j,part in enumerate(['kernel','bias']):
        a=g[2*i+j].numpy(); b=T['grad.'+nm+'.'+part]
        print(nm,part,"rel diff",float(np.abs(a-b).max()/(np.abs(a).max()+1e-12)), "norms",float(np.linalg.norm(a)),float(np.linalg.norm(b)))
