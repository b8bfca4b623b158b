// What Function Compute's Node handlers find on their context besides the common part, in FC's own
// shape: credentials, function, service, region, accountId, retryCount and logger. Each value
// comes from the invocation's x-fc-* headers, else from FC's environment (FC_FUNCTION_NAME, …).
import type { ContextClass } from '../../worker/context.js';

export function platformContext(Base: ContextClass): ContextClass {
  return class FcContext extends Base {
    get credentials(): { accessKeyId: string; accessKeySecret: string; securityToken: string } {
      return { accessKeyId: this.field('accessKey'), accessKeySecret: this.field('secretKey'), securityToken: this.field('securityToken') };
    }

    get function(): { name: string; handler: string; memory: number; timeout: number } {
      const fn = this.functionInfo;
      return {
        name: this.field('functionName') || fn.name,
        handler: this.field('functionHandler') || (fn.attrs.handler ?? ''),
        memory: Number(this.field('functionMemory')) || fn.memoryMB,
        timeout: Number(this.field('functionTimeout')) || fn.timeoutSeconds,
      };
    }

    get service(): { name: string; logProject: string; logStore: string; qualifier: string; versionId: string } {
      const attrs = this.functionInfo.attrs;
      return {
        name: this.field('serviceName') || (attrs.serviceName ?? ''),
        logProject: this.field('logProject'),
        logStore: this.field('logStore'),
        qualifier: this.field('qualifier') || (attrs.qualifier ?? ''),
        versionId: this.field('versionId') || (attrs.versionId ?? ''),
      };
    }

    get region(): string { return this.field('region') || (this.functionInfo.attrs.region ?? ''); }
    get accountId(): string { return this.field('accountId') || (this.functionInfo.attrs.accountId ?? ''); }
    get retryCount(): number { return Number(this.field('retryCount')) || 0; }
    get logger(): ReturnType<InstanceType<ContextClass>['getLogger']> { return this.getLogger(); }
  };
}
