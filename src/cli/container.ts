// The container image of HTTP mode (FC custom container, Knative, Cloud Run): what `fnpool package
// --platform http` writes beside the function's files — a Dockerfile, a .dockerignore, and a
// Knative Service manifest. The image is the zip's layout under /code, run by a non-root user with
// bootstrap as its command; the platform gives the port (PORT on Knative and Cloud Run, 9000 on FC
// when it says none). The Dockerfile uses only FROM, ENV, WORKDIR, COPY, USER, EXPOSE and an
// exec-form CMD, so that a test can lay out and start what it describes without a Docker daemon
// (test/cli-package.test.mjs).

/** Where the function's files go in the build context, and in the image. */
export const CONTEXT_DIR = 'function';
export const IMAGE_CODE_DIR = '/code';

export function dockerfile(nodeMajor: number): string {
  return `# fnpool: the function and its runtime, as an HTTP server (FC custom container, Knative, Cloud Run).
# Build: docker build -t my-function .   Run: docker run -p 8080:8080 -e PORT=8080 my-function
FROM node:${nodeMajor}-bookworm-slim
ENV NODE_ENV=production
ENV FNPOOL_PLATFORM=http
ENV FNPOOL_CODE_ROOT=${IMAGE_CODE_DIR}
WORKDIR ${IMAGE_CODE_DIR}
COPY --chown=node:node ${CONTEXT_DIR}/ ${IMAGE_CODE_DIR}/
USER node
EXPOSE 8080 9000
CMD ["${IMAGE_CODE_DIR}/bootstrap"]
`;
}

export const DOCKERIGNORE = `# Only the function folder goes into the image.
*
!${CONTEXT_DIR}/
`;

/** A Knative Service: as many requests per container as fnpool runs at once, ready when the port opens. */
export function knativeService(name: string, concurrency: number, timeoutSeconds: number): string {
  return `# A Knative Service for this image: kubectl apply -f knative-service.yaml (set the image first).
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: ${name}
spec:
  template:
    metadata:
      annotations:
        # Keep the autoscaler's target at what one container runs at once.
        autoscaling.knative.dev/target: "${concurrency}"
    spec:
      # Requests in flight per container: the same as FNPOOL_CONCURRENCY below.
      containerConcurrency: ${concurrency}
      timeoutSeconds: ${timeoutSeconds}
      containers:
        - image: registry.example.com/${name}:latest
          ports:
            - containerPort: 8080
          env:
            - name: FNPOOL_CONCURRENCY
              value: "${concurrency}"
            - name: FNPOOL_TIMEOUT
              value: "${timeoutSeconds}"
          # fnpool opens its port only once every worker has loaded the handler.
          readinessProbe:
            tcpSocket:
              port: 8080
`;
}
